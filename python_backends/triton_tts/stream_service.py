"""The streaming model `tts_stream`: one request through the acoustic model and the incremental vocoder, both
in-process, its audio sent chunk by chunk.

Why in-process and not BLS calls into the `acoustic` stage: on the CPU that stage computes a batch one
sentence at a time (compute_batch_size 1), so joining Triton's batches bought a stream nothing but two copies
through shared memory and blocking round trips to tritonserver; and BLS is the fragile part of Triton's
Python backend under load (docs/design.md). Why the vocoder runs here too: a stream's chunks are consecutive
pieces of one mel, and the incremental vocoder (vocoder_stream) keeps each stream's state between them, so
every frame is vocoded once.

Each stage's calls run on its own few threads (onnxruntime releases the GIL), which take them in
first-audio-first order (PriorityPool) without waiting on the event loop; the vocoder's threads at a lower
CPU priority than the acoustic model's, which is on the way to every stream's first audio.

Each request is a coroutine on the Python backend's event loop (`async def execute`, which Triton runs in the
background for decoupled models): many streams are in flight at once while the stages compute, and every
response is sent from that one thread. (A first version ran each request on a worker thread; with eight
concurrent streams tritonserver 2.51 crashed with SIGSEGV inside libtriton_python.so. The worker threads
here never touch Triton.)

Per request: the text frontend in-process on a worker thread (frontend_request: the inputs read on the event
loop, validation and sentence segments on the thread, so a long text does not hold up other streams), then the
acoustic model sentence by sentence, only when the next chunk needs its frames (streaming.ChunkPlanner), and
the vocoder per chunk. Before each stage call the request is checked for cancellation (gRPC cancel or a passed
deadline): a cancelled request makes no further call and ends with a CANCELLED error.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, TypeVar

import numpy as np

from triton_tts.acoustic_request import AcousticRequest
from triton_tts.audio_format import pcm16 as pcm16_bytes
from triton_tts.cpu_priority import lower_cpu_priority
from triton_tts.errors import InvalidRequest, Unavailable, internal_message
from triton_tts.frontend import PhonemizedRequest, TextFrontend
from triton_tts.frontend_request import read_text_request, requested_format, traced
from triton_tts.observability import StageObserver, finish_request, log_request, request_id_of
from triton_tts.priority_pool import PriorityPool
from triton_tts.streaming import ChunkPlanner, ChunkSchedule, Feed
from triton_tts.triton_batch import audio_tensors

if TYPE_CHECKING:  # torch; the model imports it
    from triton_tts.stages import AcousticStage
    from triton_tts.vocoder_stream import IncrementalVocoder, VocoderStream

Result = TypeVar("Result")


STAGE_LABELS = {"acoustic": "tts_stream_acoustic", "vocoder": "tts_stream_vocoder"}  # in the stage metrics
STREAM_OUTPUTS = ("AUDIO", "SAMPLE_RATE", "AUDIO_BYTES", "WORDS", "WORD_TIMES")  # tts_stream's config.pbtxt
METRICS_FLUSH_S = 0.25  # counters and the in-progress gauge reach Triton at most this often (StageMetrics.deferred)


def chunk_tensors(pb_utils: Any, audio: np.ndarray, rate: int, pcm16: bool, words: list, wanted: set[str]) -> list:
    """One chunk's output tensors, only those in `wanted` (requested_outputs): AUDIO, SAMPLE_RATE, AUDIO_BYTES,
    and the WORDS and WORD_TIMES of `words` ((text, (start, end)) pairs)."""
    tensors = audio_tensors(pb_utils, audio, rate, pcm16_bytes(audio) if pcm16 else b"")
    if wanted & {"WORDS", "WORD_TIMES"}:  # built only when asked for: every chunk's tensors are made on the event loop
        tensors += [
            pb_utils.Tensor("WORDS", np.array([w.encode() for w, _ in words], dtype=np.object_).reshape(1, -1)),
            pb_utils.Tensor("WORD_TIMES", np.array([t for _, t in words], dtype=np.float32).reshape(1, -1, 2)),
        ]
    return [t for t in tensors if t.name() in wanted]


def requested_outputs(request: Any) -> set[str]:
    """The output names the client asked for (all of them when it named none). A response must carry only
    these: tritonserver 2.51's ResponseSender.send() drops the others with the GIL released, freeing their
    numpy arrays while other threads run Python, which corrupted the stub's heap under load
    (docs/reliability.md, "tritonserver aborting under streaming load: found")."""
    return set(request.requested_output_names()) or set(STREAM_OUTPUTS)


def timed(work: Callable[..., Result], *args: Any) -> tuple[Result, float]:
    """`work(*args)` and the seconds it took, timed on the thread that runs it (no queueing in it)."""
    began = time.perf_counter()
    result = work(*args)
    return result, time.perf_counter() - began


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
        """The PriorityPool order of this stream's next stage call: a stream whose listener still hears nothing
        first (in order of arrival), then started streams by when their listener, playing from the first
        chunk on, runs out of audio."""
        return (0, self.arrived) if self.chunks_sent == 0 else (1, self.first_sent_at + self.audio_sent_s)


class StreamingSynthesis:
    """Runs streaming requests, each as its own coroutine; they share the frontend, the two models and the metrics."""

    def __init__(self, pb_utils: Any, frontend: TextFrontend, acoustic: AcousticStage, vocoder: IncrementalVocoder, hop_length: int,
                 sample_rate: int, schedule: ChunkSchedule, max_streams: int, workers: dict[str, int], vocoder_nice: int) -> None:
        """`workers`: threads per stage ("acoustic", "vocoder"), one onnxruntime thread each."""
        self.pb = pb_utils
        self.frontend = frontend
        self.voices = list(frontend.config.speakers)
        self.acoustic = acoustic
        self.vocoder = vocoder
        self.hop_length = hop_length
        self.rate = sample_rate
        self.schedule = schedule
        self.observer = StageObserver(pb_utils, "tts_stream", deferred_metrics=True)
        self.flush_scheduled = False
        self.max_streams = max_streams
        self.in_flight = 0  # streams being answered (one event loop thread: no lock)
        self.pools = {
            "acoustic": PriorityPool(workers["acoustic"], "tts-stream-acoustic"),
            "vocoder": PriorityPool(workers["vocoder"], "tts-stream-vocoder", initializer=lower_cpu_priority, initargs=(vocoder_nice,)),
        }

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
            self._flush_metrics_soon()

    def _flush_metrics_soon(self) -> None:
        """Send this stream's counters and the gauge within METRICS_FLUSH_S, with the other streams'. Each metric
        update is a blocking round trip to tritonserver on the one event loop thread that every stream's
        responses share."""
        if not self.flush_scheduled:
            self.flush_scheduled = True
            asyncio.get_running_loop().call_later(METRICS_FLUSH_S, self._flush_metrics)

    def _flush_metrics(self) -> None:
        self.flush_scheduled = False
        self.observer.metrics.flush()

    async def _answer(self, request: Any) -> None:
        """Answer `request` on its response sender: AUDIO chunks, then an empty final response (or one error)."""
        stream, voice = Stream(request_id_of(request), request.get_response_sender(), time.perf_counter()), "unknown"
        sender = stream.sender
        try:
            try:
                pcm16 = requested_format(self.pb, request, self.rate, streaming=True).encoding == "pcm16"
                wanted = requested_outputs(request)
                text_request = read_text_request(self.pb, request, self.observer)
                # on a worker thread: a long text (up to a second with word timestamps) must not stall every stream
                phonemized = await asyncio.to_thread(text_request.phonemize, self.frontend)
                item = traced(text_request, phonemized, self.observer, self.voices)
            except InvalidRequest as exc:
                self.observer.rejected(request, exc)
                self._fail(sender, str(exc), self.pb.TritonError.INVALID_ARG)
                return
            except Unavailable as exc:  # draining: the SDK sends it to another server
                self._fail(sender, str(exc), self.pb.TritonError.UNAVAILABLE)
                return
            stream.request_id, voice, samples = item.request_id, self.voices[item.value.speaker], 0
            async for audio, words in self._audio_chunks(item.value, stream):  # each checked for cancellation
                sender.send(self.pb.InferenceResponse(output_tensors=chunk_tensors(self.pb, audio, self.rate, pcm16, words, wanted)))
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
        except Exception as exc:  # noqa: BLE001 - a bug fails this request with INTERNAL, never the model
            self.observer.failed(request, exc)
            self._fail(sender, internal_message(exc), self.pb.TritonError.INTERNAL)

    async def _audio_chunks(self, phonemized: PhonemizedRequest, stream: Stream) -> AsyncIterator[tuple[np.ndarray, list]]:
        """The request's audio chunk by chunk: each sentence's mel from the acoustic model when the planner
        needs its frames, each chunk from the vocoder. With each chunk go the words (text, (start, end)
        seconds from the stream's start) of the sentences the acoustic model made since the last chunk: a
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
        request = AcousticRequest(ids, np.array([ids.size]), speaker, pace, pause_frames=np.array([pause_frames]), word_spans=word_spans)
        result = (await self._compute("acoustic", stream, self.acoustic.run, [request]))[0]
        return result.mel, result.word_times

    async def _vocode(self, vocoder: VocoderStream, feed: Feed, stream: Stream) -> np.ndarray:
        """The audio `feed` completes, from the stream's incremental vocoder."""
        return await self._compute("vocoder", stream, vocoder.feed, feed.mel, feed.final)

    async def _compute(self, stage: str, stream: Stream, work: Callable[..., Result], *args: Any) -> Result:
        """`work(*args)` on `stage`'s threads, in its turn among the streams' calls (PriorityPool: first audio
        first); the request is checked for cancellation first, so a cancelled request stops at its next stage call."""
        self._check(stream.sender)
        result, seconds = await asyncio.wrap_future(self.pools[stage].submit(stream.priority(), timed, work, *args))
        self.observer.metrics.computed(seconds, stage=STAGE_LABELS[stage])
        return result

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
