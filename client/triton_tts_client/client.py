"""The synchronous TTS client."""

from __future__ import annotations

import random
import time
from typing import Iterator, Sequence

import grpc
import grpc.experimental

from triton_tts_client import protocol
from triton_tts_client._proto.inference_pb2_grpc import GRPCInferenceServiceStub
from triton_tts_client.audio import Audio
from triton_tts_client.errors import TTSError
from triton_tts_client.options import DEFAULT_ENDPOINT, ClientOptions
from triton_tts_client.retrying import Attempts, EndpointHealth, StreamAttempt, TryNextEndpoint


def open_channel(channels, endpoint: str, options: ClientOptions):
    """A channel to `endpoint` from `channels` (the `grpc` module, or `grpc.aio` for the async client), with TLS
    when the options carry it.

    A sync channel reads each stream's responses on the thread that iterates it (SingleThreadedUnaryStream).
    Otherwise grpc reads them on a channel thread that it starts when the channel's first call begins and ends
    after its last: a client streaming one utterance at a time started a thread per stream, and every chunk
    crossed threads (client CPU per streamed audio second at concurrency 16: 0.65 -> 0.51 ms, docs/benchmarks.md)."""
    args, tls = options.channel_options(), options.tls
    if channels is grpc:
        args = [*args, (grpc.experimental.ChannelOptions.SingleThreadedUnaryStream, 1)]
    if tls:
        credentials = grpc.ssl_channel_credentials(tls.root_certificates, tls.private_key, tls.certificate_chain)
        return channels.secure_channel(endpoint, credentials, args)
    return channels.insecure_channel(endpoint, args)


class Connection:
    """One endpoint's channel and its calls, made once: a generated stub builds a callable per RPC."""

    def __init__(self, channel) -> None:
        self.channel = channel
        self.stub = GRPCInferenceServiceStub(channel)
        self.stream = protocol.one_request_stream(channel)


def make_options(endpoints: str | Sequence[str], overrides: dict) -> ClientOptions:
    endpoints = (endpoints,) if isinstance(endpoints, str) else tuple(endpoints)
    return ClientOptions(endpoints=endpoints, **overrides)


class TTSClient:
    """Speech from the `tts` service: `TTSClient(["eu.tts:8001", "us.tts:8001"]).synthesize("Hello.")`.

    Endpoints are tried in order (put the nearest region first); UNAVAILABLE and RESOURCE_EXHAUSTED move
    on to the next endpoint and, after a full round, back off with jitter. Other errors raise at once.
    Keyword arguments are ClientOptions fields (deadline_s, retry, tls, metadata, ...).
    """

    def __init__(self, endpoints: str | Sequence[str] = DEFAULT_ENDPOINT, **options) -> None:
        self.options = make_options(endpoints, options)
        self._rng = random.Random()
        self._health = EndpointHealth(self.options.retry.cooldown_s)
        self._connections: dict[str, Connection] = {}

    def _connection(self, endpoint: str) -> Connection:
        if endpoint not in self._connections:
            self._connections[endpoint] = Connection(open_channel(grpc, endpoint, self.options))
        return self._connections[endpoint]

    def _call(self, method: str, request, deadline_s: float | None):
        attempts = Attempts(self.options, self._rng, deadline_s, self._health)
        for endpoint, sleep_s in attempts:
            time.sleep(sleep_s)
            try:
                return getattr(self._connection(endpoint).stub, method)(request, timeout=attempts.remaining(), metadata=self.options.metadata)
            except grpc.RpcError as exc:
                attempts.failed(exc, endpoint)
        raise attempts.exhausted()

    def synthesize(
        self, text: str, voice: str | None = None, rate: float = 1.0, *, encoding: str = "float32",
        sample_rate: int | None = None, timestamps: bool = False, deadline_s: float | None = None, request_id: str | None = None,
    ) -> Audio:
        """Speak `text` (one utterance, up to 2000 characters; SSML when it starts with <speak>) and return its
        audio: float32 samples, or the server's pcm16 / wav / opus bytes in `Audio.encoded`, at `sample_rate`
        (default: the voice's; Opus: 24 kHz). `timestamps=True` fills `Audio.words`: each written word's start
        and end in seconds, from the durations that made the audio."""
        request = protocol.synthesize_request(text, voice, rate, request_id, encoding=encoding, sample_rate=sample_rate, timestamps=timestamps)
        return protocol.parse_audio(self._call("ModelInfer", request, deadline_s), encoding)

    def stream(
        self, text: str, voice: str | None = None, rate: float = 1.0, *, encoding: str = "float32",
        timestamps: bool = False, deadline_s: float | None = None, request_id: str | None = None,
    ) -> Iterator[Audio]:
        """Speak `text`, yielding audio chunks as the server makes them (joined, they equal synthesize()'s audio).

        Fails over to the next endpoint only before the first chunk (after it, a listener has heard audio).
        The deadline covers the whole stream; leaving the loop early (or close()) cancels the server's work.
        `encoding`: float32 or pcm16 (chunks' bytes in `Audio.encoded`). `timestamps=True`: each chunk's
        `words` are those of the sentences made since the last chunk, timed from the stream's start.
        """
        request = protocol.stream_request(text, voice, rate, request_id, encoding, timestamps)
        attempts = Attempts(self.options, self._rng, deadline_s, self._health)
        for endpoint, sleep_s in attempts:
            time.sleep(sleep_s)
            call = self._connection(endpoint).stream(request, timeout=attempts.remaining(), metadata=self.options.metadata)
            attempt, finished = StreamAttempt(attempts, endpoint, encoding), False
            try:
                for message in call:
                    chunk = attempt.chunk(message)
                    if chunk is None:
                        finished = True
                        return
                    yield chunk
                raise attempt.unfinished()
            except grpc.RpcError as exc:
                attempt.failed(exc)
            except TryNextEndpoint:
                pass
            finally:
                if finished:
                    _wait_for_end(call)
                else:
                    call.cancel()
        raise attempts.exhausted()

    def voices(self) -> list[str]:
        """The speaker names the service offers (the first is the default)."""
        return protocol.parse_voices(self._call("ModelInfer", protocol.voices_request(), None))

    def ready(self, models: Sequence[str] = (protocol.TTS_MODEL,)) -> bool:
        """True when an endpoint is ready and so is each of `models` (default: the `tts` model)."""
        try:
            for method, request in protocol.readiness_requests(models):
                if not (self._call(method, request, None)).ready:
                    return False
        except TTSError:
            return False
        return True

    def close(self) -> None:
        for connection in self._connections.values():
            connection.channel.close()
        self._connections.clear()

    def __enter__(self) -> "TTSClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _wait_for_end(call: grpc.Call) -> None:
    """Let the server end a stream whose final response has arrived. Cancelling it instead leaks the stream's
    responses inside tritonserver 2.51 (about 1-7 KB per stream, docs/reliability.md); its status no longer
    matters, the audio is complete."""
    try:
        for _ in call:
            pass
    except grpc.RpcError:
        pass
