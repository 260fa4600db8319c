"""Requests and responses of the `tts` model over the KServe v2 protocol, with no I/O.

Shared by the sync and async clients; tested on its own.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import replace
from typing import Sequence

import grpc
import numpy as np

from triton_tts_client._proto import inference_pb2 as pb
from triton_tts_client.audio import Audio, Word
from triton_tts_client.errors import ServerError, TTSError, from_grpc

STATUS_NAMES = {code.name: code for code in grpc.StatusCode}

TTS_MODEL = "tts"
STREAM_MODEL = "tts_stream"
_STREAM_RPC = pb.DESCRIPTOR.services_by_name["GRPCInferenceService"].methods_by_name["ModelStreamInfer"]
STREAM_METHOD = f"/{_STREAM_RPC.containing_service.full_name}/{_STREAM_RPC.name}"  # the gRPC path
VOICES_MODEL = "voices"
# Asks Triton for an empty response flagged final after a decoupled model's last chunk: the end of a stream.
EMPTY_FINAL_RESPONSE = "triton_enable_empty_final_response"
FINAL_RESPONSE = "triton_final_response"


def bytes_tensor(*values: bytes) -> bytes:
    """Triton's raw BYTES layout: each element as a 4-byte little-endian length, then its bytes."""
    return b"".join(struct.pack("<I", len(v)) + v for v in values)


def parse_bytes_tensor(raw: bytes) -> list[bytes]:
    values, offset = [], 0
    while offset < len(raw):
        (length,) = struct.unpack_from("<I", raw, offset)
        values.append(raw[offset + 4 : offset + 4 + length])
        offset += 4 + length
    return values


def synthesize_request(
    text: str, voice: str | None = None, rate: float = 1.0, request_id: str | None = None, model: str = TTS_MODEL,
    encoding: str = "float32", sample_rate: int | None = None, timestamps: bool = False,
) -> pb.ModelInferRequest:
    """One utterance for the `tts` ensemble (or `tts_stream`); VOICE, RATE, ENCODING and OUTPUT_SAMPLE_RATE are
    sent only when they differ from the defaults, and only the outputs this encoding needs are asked for.

    The server validates text, voice, rate and format (one source of truth) and answers INVALID_ARGUMENT.
    """
    request = pb.ModelInferRequest(model_name=model, id=request_id or uuid.uuid4().hex)
    request.inputs.add(name="TEXT", datatype="BYTES", shape=[1, 1])
    request.raw_input_contents.append(bytes_tensor(text.encode("utf-8")))
    if voice:
        request.inputs.add(name="VOICE", datatype="BYTES", shape=[1, 1])
        request.raw_input_contents.append(bytes_tensor(voice.encode("utf-8")))
    if rate != 1.0:
        request.inputs.add(name="RATE", datatype="FP32", shape=[1, 1])
        request.raw_input_contents.append(np.array([rate], dtype="<f4").tobytes())
    if encoding != "float32":
        request.inputs.add(name="ENCODING", datatype="BYTES", shape=[1, 1])
        request.raw_input_contents.append(bytes_tensor(encoding.encode("utf-8")))
    if sample_rate:
        request.inputs.add(name="OUTPUT_SAMPLE_RATE", datatype="INT32", shape=[1, 1])
        request.raw_input_contents.append(np.array([sample_rate], dtype="<i4").tobytes())
    if timestamps:
        request.inputs.add(name="WORD_TIMESTAMPS", datatype="BOOL", shape=[1, 1])
        request.raw_input_contents.append(b"\x01")
    for name in ("AUDIO" if encoding == "float32" else "AUDIO_BYTES", "SAMPLE_RATE", *(("WORDS", "WORD_TIMES") if timestamps else ())):
        request.outputs.add(name=name)
    return request


def _outputs(response: pb.ModelInferResponse) -> dict[str, tuple[pb.ModelInferResponse.InferOutputTensor, bytes]]:
    if len(response.raw_output_contents) != len(response.outputs):
        raise ServerError("response has no raw output contents; the server is not Triton-compatible")
    return {o.name: (o, raw) for o, raw in zip(response.outputs, response.raw_output_contents)}


def parse_audio(response: pb.ModelInferResponse, encoding: str = "float32") -> Audio:
    """AUDIO (FP32, for float32) or AUDIO_BYTES (the other encodings), and SAMPLE_RATE (INT32), from a response."""
    outputs = _outputs(response)
    try:
        _, rate_raw = outputs["SAMPLE_RATE"]
        sample_rate = int(np.frombuffer(rate_raw, dtype="<i4")[0])
        words = parse_words(outputs)
        if encoding != "float32":
            encoded = parse_bytes_tensor(outputs["AUDIO_BYTES"][1])
            return replace(Audio.decode(encoded[0] if encoded else b"", encoding, sample_rate, response.id), words=words)
        audio_meta, audio_raw = outputs["AUDIO"]
    except KeyError as exc:
        raise ServerError(f"response lacks output {exc}") from exc
    if audio_meta.datatype != "FP32":
        raise ServerError(f"AUDIO has datatype {audio_meta.datatype}, expected FP32")
    samples = np.frombuffer(audio_raw, dtype="<f4").astype(np.float32)
    return Audio(samples, sample_rate, response.id, words=words)


def parse_words(outputs: dict) -> tuple[Word, ...]:
    """WORDS and WORD_TIMES (when asked for) as Word(text, start, end) in order."""
    if "WORDS" not in outputs or "WORD_TIMES" not in outputs:
        return ()
    texts = [w.decode("utf-8") for w in parse_bytes_tensor(outputs["WORDS"][1])]
    times = np.frombuffer(outputs["WORD_TIMES"][1], dtype="<f4").reshape(-1, 2)
    if len(texts) != len(times):
        raise ServerError(f"{len(texts)} WORDS but {len(times)} WORD_TIMES")
    return tuple(Word(text, float(start), float(end)) for text, (start, end) in zip(texts, times))


def stream_request(
    text: str, voice: str | None = None, rate: float = 1.0, request_id: str | None = None, encoding: str = "float32",
    timestamps: bool = False,
) -> pb.ModelInferRequest:
    """One utterance for `tts_stream`, asking for the empty final response that marks the end of its chunks."""
    request = synthesize_request(text, voice, rate, request_id, STREAM_MODEL, encoding, timestamps=timestamps)
    request.parameters[EMPTY_FINAL_RESPONSE].bool_param = True
    return request


def one_request_stream(channel):
    """ModelStreamInfer (a bidirectional stream) called as one request in, responses out: the request and the
    half-close leave together, so no thread or task feeds the request side. Triton ends such a stream once
    its request has sent its final response. `channel`: a grpc or grpc.aio channel."""
    return channel.unary_stream(
        STREAM_METHOD, request_serializer=pb.ModelInferRequest.SerializeToString,
        response_deserializer=pb.ModelStreamInferResponse.FromString,
    )


def parse_stream_response(message: pb.ModelStreamInferResponse, encoding: str = "float32") -> Audio | None:
    """One chunk of a stream, or None for the final empty response; an in-band error raises."""
    if message.error_message:
        raise stream_error(message.error_message)
    response = message.infer_response
    if not response.outputs and response.parameters[FINAL_RESPONSE].bool_param:
        return None
    return parse_audio(response, encoding)


def split_stream_error(message: str) -> tuple[grpc.StatusCode | None, str]:
    """A stream carries errors as text alone: tts_stream starts its message with the gRPC status name."""
    name, _, details = message.partition(": ")
    return (STATUS_NAMES[name], details) if name in STATUS_NAMES else (None, message)


def stream_error(message: str) -> TTSError:
    code, details = split_stream_error(message)
    return ServerError(message) if code is None else from_grpc(code, details)


def voices_request() -> pb.ModelInferRequest:
    return pb.ModelInferRequest(model_name=VOICES_MODEL, id=uuid.uuid4().hex)


def parse_voices(response: pb.ModelInferResponse) -> list[str]:
    _, raw = _outputs(response)["VOICES"]
    return [v.decode("utf-8") for v in parse_bytes_tensor(raw)]


def readiness_requests(models: Sequence[str]) -> list[tuple[str, object]]:
    """The (method, request) calls whose answers must all be `ready`: the server's, then each model's."""
    return [("ServerReady", pb.ServerReadyRequest()), *(("ModelReady", pb.ModelReadyRequest(name=m)) for m in models)]
