"""The streaming model `tts_stream`: one request through the acoustic stage by BLS and the incremental vocoder
in-process, its audio sent chunk by chunk.

Why BLS calls into the acoustic stage: concurrent streams' sentences reach the same `acoustic` instances as
`tts` requests, so they batch together under load. Why the vocoder runs here instead: a stream's chunks are
consecutive pieces of one mel, and the incremental vocoder (vocoder_stream) keeps each stream's state between
them, so every frame is vocoded once (a stateless stage would need the state shipped both ways on every call, or
mel context on both sides of every chunk, as an earlier version did); and each chunk saves a BLS round trip
through tritonserver. Its calls run on a small thread pool at a lower CPU priority (onnxruntime releases the GIL),
in first-audio-first order (StageQueue).

Each request is a coroutine on the Python backend's event loop (`async def execute`, which Triton runs in the
background for decoupled models): many streams are in flight at once while the stages compute, and every
response and BLS call is made from that one thread. (A first version ran each request on a worker thread; with
eight concurrent streams tritonserver 2.51 crashed with SIGSEGV inside libtriton_python.so, with or without a
lock around the BLS calls. The vocoder's worker threads never touch Triton.)

Per request: the text frontend in-process (frontend_request: validation, sentence segments), then the
acoustic stage sentence by sentence, only when the next chunk needs its frames (streaming.ChunkPlanner), and
the vocoder per chunk. Before each stage call the request is checked for cancellation (gRPC cancel or a passed
deadline): a cancelled request makes no further call and ends with a CANCELLED error.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, AsyncIterator

import numpy as np

from triton_tts.audio_format import pcm16 as pcm16_bytes
from triton_tts.cpu_priority import lower_cpu_priority
from triton_tts.errors import InvalidRequest, Unavailable
from triton_tts.frontend import PhonemizedRequest, TextFrontend
from triton_tts.frontend_request import phonemize_request, requested_format
from triton_tts.observability import StageObserver, finish_request, log_request, request_id_of
from triton_tts.stage_queue import StageQueue
from triton_tts.streaming import ChunkPlanner, ChunkSchedule, Feed
from triton_tts.triton_batch import audio_tensors

if TYPE_CHECKING:  # torch; the model imports it
    from triton_tts.vocoder_stream import IncrementalVocoder, VocoderStream


# Triton refuses new inference requests, BLS calls too, once it is stopping: a stream in flight cannot go on.
STOPPING_MESSAGES = ("Server not ready", "Server is stopping")
QUEUE_FULL_MESSAGE = "Exceeds maximum queue size"  # a stage's default_queue_policy bound (backpressure)
QUEUE_FULL_RETRY_S = 0.01  # a started stream waits for room rather than being cut
VOCODER_STAGE = "tts_stream_vocoder"  # the stage label of the in-process vocoder's calls in the stage metrics


class StageFailed(Exception):
    """A stage answered a BLS call with an error (our own tensors: a server fault)."""


class ServerStopping(Exception):
    """A BLS call was refused because the server is shutting down: another server can take the request."""


class StageBusy(Exception):
    """A stage's queue was full before the stream sent any audio: another server (or a retry) can take it."""


class Cancelled(Exception):
    """The client cancelled the request or its deadline passed."""


@dataclass
class Stream:
    """One request's response sender and how far it got."""

    request_id: str
    sender: Any
    arrived: float
    chunks_sent: int = 0
    first_sent_at: float = 0.0
    audio_sent_s: float = 0.0

    def priority(self) -> tuple[int, float]:
        """The StageQueue order of this stream's next stage call: a stream whose listener still hears nothing
        first (in order of arrival), then started streams by when their listener, playing from the first
        chunk on, runs out of audio."""
        return (0, self.arrived) if self.chunks_sent == 0 else (1, self.first_sent_at + self.audio_sent_s)


class StreamingSynthesis:
    """Runs streaming requests, each as its own coroutine; shares only the frontend and the metrics."""

    def __init__(self, pb_utils: Any, frontend: TextFrontend, vocoder: IncrementalVocoder, hop_length: int, sample_rate: int,
                 schedule: ChunkSchedule, max_streams: int, acoustic_calls_in_flight: int, vocoder_workers: int, vocoder_nice: int) -> None:
        self.pb = pb_utils
        self.frontend = frontend
        self.voices = list(frontend.config.speakers)
        self.vocoder = vocoder
        self.hop_length = hop_length
        self.rate = sample_rate
        self.schedule = schedule
        self.observer = StageObserver(pb_utils, "tts_stream")
        self.max_streams = max_streams
        self.in_flight = 0  # streams being answered (one event loop thread: no lock)
        self.stages = {"acoustic": StageQueue(acoustic_calls_in_flight), "vocoder": StageQueue(vocoder_workers)}
        self.vocoder_pool = ThreadPoolExecutor(vocoder_workers, "tts-stream-vocoder", initializer=lower_cpu_priority, initargs=(vocoder_nice,))

    async def run(self, request: Any) -> None:
        """Answer `request`, counted in the in-progress gauge while it runs (serving.drain waits for it); past
        `max_streams` in flight a new stream gets UNAVAILABLE at once (backpressure: the SDK tries elsewhere)."""
        if self.in_flight >= self.max_streams:
            message = f"the server is busy ({self.in_flight} streams in flight): retry, or send it to another server"
            self._fail(request.get_response_sender(), message, self.pb.TritonError.UNAVAILABLE)
            return
        self.in_flight += 1
        self.observer.metrics.in_progress(self.in_flight)
        try:
            await self._answer(request)
        finally:
            self.in_flight -= 1
            self.observer.metrics.in_progress(self.in_flight)

    async def _answer(self, request: Any) -> None:
        """Answer `request` on its response sender: AUDIO chunks, then an empty final response (or one error)."""
        stream, voice = Stream(request_id_of(request), request.get_response_sender(), time.perf_counter()), "unknown"
        sender = stream.sender
        try:
            try:
                pcm16 = requested_format(self.pb, request, self.rate, streaming=True).encoding == "pcm16"
                item = phonemize_request(self.pb, request, self.frontend, self.observer, self.voices)
            except InvalidRequest as exc:
                self.observer.rejected(request, exc)
                self._fail(sender, str(exc), self.pb.TritonError.INVALID_ARG)
                return
            except Unavailable as exc:  # draining: the SDK sends it to another server
                self._fail(sender, str(exc), self.pb.TritonError.UNAVAILABLE)
                return
            stream.request_id, voice, samples = item.request_id, self.voices[item.value.speaker], 0
            async for audio, words in self._audio_chunks(item.value, stream):  # each checked for cancellation
                sender.send(self.pb.InferenceResponse(output_tensors=[
                    *audio_tensors(self.pb, audio, self.rate, pcm16_bytes(audio) if pcm16 else b""),
                    self.pb.Tensor("WORDS", np.array([w.encode() for w, _ in words], dtype=np.object_).reshape(1, -1)),
                    self.pb.Tensor("WORD_TIMES", np.array([t for _, t in words], dtype=np.float32).reshape(1, -1, 2)),
                ]))
                if stream.chunks_sent == 0:
                    stream.first_sent_at = time.perf_counter()
                    self.observer.metrics.first_audio(voice, stream.first_sent_at - stream.arrived)
                stream.chunks_sent, samples = stream.chunks_sent + 1, samples + audio.size
                stream.audio_sent_s = samples / self.rate
            sender.send(flags=self.pb.TRITONSERVER_RESPONSE_COMPLETE_FINAL)
            self.observer.metrics.streamed(voice, stream.chunks_sent)
            finish_request(self.observer, item, self.voices, samples / self.rate)
        except Cancelled:
            self.observer.metrics.cancelled(voice)
            log_request(self.observer.log, logging.INFO, request_id=stream.request_id, stage="tts_stream", outcome="cancelled", chunks_sent=stream.chunks_sent)
            self._fail(sender, "request cancelled by the client (or its deadline passed)", self.pb.TritonError.CANCELLED)
        except ServerStopping as exc:  # retryable: the SDK fails over if no audio was sent yet
            log_request(self.observer.log, logging.WARNING, request_id=stream.request_id, stage="tts_stream", outcome="cut", chunks_sent=stream.chunks_sent)
            self._fail(sender, str(exc), self.pb.TritonError.UNAVAILABLE)
        except StageBusy as exc:  # no audio sent yet: the SDK retries or fails over
            self._fail(sender, str(exc), self.pb.TritonError.UNAVAILABLE)
        except StageFailed as exc:  # the failing stage counted and logged it already
            self._fail(sender, f"internal error: {exc}", self.pb.TritonError.INTERNAL)
        except Exception as exc:  # noqa: BLE001 - a bug fails this request with INTERNAL, never the model
            self.observer.failed(request, exc)
            self._fail(sender, f"internal error: {type(exc).__name__}: {exc}", self.pb.TritonError.INTERNAL)

    async def _audio_chunks(self, phonemized: PhonemizedRequest, stream: Stream) -> AsyncIterator[tuple[np.ndarray, list]]:
        """The request's audio chunk by chunk: each sentence's mel from the acoustic stage when the planner
        needs its frames, each chunk from the vocoder stage. With each chunk go the words (text, (start, end)
        seconds from the stream's start) of the sentences the acoustic stage made since the last chunk: a
        word's times can come before its audio, never after."""
        lengths = phonemized.segment_lengths
        segments = np.split(phonemized.ids, np.cumsum(lengths)[:-1])
        first_ids = np.concatenate([[0], np.cumsum(lengths)])
        sentences = iter(enumerate(zip(segments, phonemized.segment_paces, phonemized.segment_pause_frames)))
        planner, vocoder = ChunkPlanner(self.schedule, self.vocoder.lag), self.vocoder.start()
        frames_so_far, words = 0, []
        while True:
            while planner.needs_more():
                index, sentence = next(sentences, (None, None))
                if sentence is None:
                    planner.finish()
                    continue
                in_sentence = [k for k, (first, _) in enumerate(phonemized.word_spans) if first_ids[index] <= first < first_ids[index + 1]]
                spans = np.minimum(phonemized.word_spans[in_sentence] - first_ids[index], lengths[index] - 1)
                mel, times = await self._acoustic(*sentence, phonemized.speaker, spans, stream)
                start = frames_so_far * self.hop_length / self.rate
                words += [(phonemized.words[k], (t + start).tolist()) for k, t in zip(in_sentence, times)]
                frames_so_far += mel.shape[1]
                planner.add(mel)
                if index == len(segments) - 1:
                    planner.finish()  # known now, not when the next pull finds nothing: a short tail joins its chunk
            feed = planner.next_feed()
            if feed is None:
                return
            audio = await self._vocode(vocoder, feed, stream)
            if audio.size or words:
                yield audio, words
                words = []

    async def _acoustic(self, ids: np.ndarray, pace: float, pause_frames: int, speaker: int, word_spans: np.ndarray,
                        stream: Stream) -> tuple[np.ndarray, np.ndarray]:
        """One sentence's log-mel (n_mels, frames), with its pause after it, and its words' times in it."""
        inputs = [
            self.pb.Tensor("PHONEME_IDS", ids[None, :].astype(np.int64)),
            self.pb.Tensor("SEGMENT_LENGTHS", np.array([[ids.size]], dtype=np.int64)),
            self.pb.Tensor("SPEAKER", np.array([[speaker]], dtype=np.int64)),
            self.pb.Tensor("PACE", np.array([[pace]], dtype=np.float32)),
            self.pb.Tensor("SEGMENT_PACES", np.array([[pace]], dtype=np.float32)),
            self.pb.Tensor("SEGMENT_PAUSE_FRAMES", np.array([[pause_frames]], dtype=np.int64)),
            self.pb.Tensor("WORD_SPANS", word_spans.astype(np.int64).reshape(1, -1)),
        ]
        mel, times = await self._infer("acoustic", stream, inputs, ["MEL", "WORD_TIMES"])
        return mel[0], times[0]

    async def _vocode(self, vocoder: VocoderStream, feed: Feed, stream: Stream) -> np.ndarray:
        """The audio `feed` completes, from the stream's incremental vocoder on the pool, in its turn (first audio
        first); checked for cancellation first."""
        async with self.stages["vocoder"].turn(stream.priority()):
            self._check(stream.sender)
            began = time.perf_counter()
            audio = await asyncio.get_running_loop().run_in_executor(self.vocoder_pool, vocoder.feed, feed.mel, feed.final)
        self.observer.metrics.computed(time.perf_counter() - began, stage=VOCODER_STAGE)
        return audio

    async def _infer(self, model: str, stream: Stream, inputs: list[Any], outputs: list[str]) -> list[np.ndarray]:
        """One BLS call, in its turn among the streams' calls to `model` (StageQueue: first audio first);
        checked for cancellation first, so a cancelled request stops at its next stage call. A stage whose
        queue is full refuses a stream that has sent no audio yet (StageBusy); a started one waits for room.
        The outputs are copied out of the response's shared memory, freed with the response."""
        async with self.stages[model].turn(stream.priority()):
            while True:
                self._check(stream.sender)
                response = await self.pb.InferenceRequest(
                    model_name=model, inputs=inputs, requested_output_names=outputs, request_id=stream.request_id
                ).async_exec()
                if not (response.has_error() and QUEUE_FULL_MESSAGE in response.error().message()):
                    break
                if stream.chunks_sent == 0:
                    raise StageBusy(f"the server is busy ({model}'s queue is full): retry, or send it to another server")
                await asyncio.sleep(QUEUE_FULL_RETRY_S)
        if response.has_error():
            message = response.error().message()
            if any(m in message for m in STOPPING_MESSAGES):
                raise ServerStopping(f"the server is stopping ({model}: {message})")
            raise StageFailed(f"{model}: {message}")
        return [self.pb.get_output_tensor_by_name(response, name).as_numpy().copy() for name in outputs]

    @staticmethod
    def _check(sender: Any) -> None:
        if sender.is_cancelled():
            raise Cancelled()

    def _fail(self, sender: Any, message: str, code: Any) -> None:
        """The request's one error response. A gRPC stream carries an error as text alone (no status), so the
        message starts with the status name ("INVALID_ARGUMENT: ..."), which the SDK maps back."""
        names = {self.pb.TritonError.INVALID_ARG: "INVALID_ARGUMENT", self.pb.TritonError.CANCELLED: "CANCELLED",
                 self.pb.TritonError.UNAVAILABLE: "UNAVAILABLE"}
        status = names.get(code, "INTERNAL")
        error = self.pb.TritonError(f"{status}: {message}", code)
        sender.send(self.pb.InferenceResponse(error=error), flags=self.pb.TRITONSERVER_RESPONSE_COMPLETE_FINAL)
