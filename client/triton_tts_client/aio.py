"""The asyncio TTS client: the same protocol, options and retry plan as TTSClient."""

from __future__ import annotations

import asyncio
import random
from typing import AsyncIterator, Sequence

import grpc

from triton_tts_client import protocol
from triton_tts_client.audio import Audio
from triton_tts_client.client import Connection, make_options, open_channel
from triton_tts_client.errors import TTSError
from triton_tts_client.options import DEFAULT_ENDPOINT
from triton_tts_client.retrying import Attempts, EndpointHealth, StreamAttempt, TryNextEndpoint


class AsyncTTSClient:
    """`async with AsyncTTSClient("localhost:8001") as tts: audio = await tts.synthesize("Hello.")`."""

    def __init__(self, endpoints: str | Sequence[str] = DEFAULT_ENDPOINT, **options) -> None:
        self.options = make_options(endpoints, options)
        self._rng = random.Random()
        self._health = EndpointHealth(self.options.retry.cooldown_s)
        self._connections: dict[str, Connection] = {}

    def _connection(self, endpoint: str) -> Connection:
        if endpoint not in self._connections:
            self._connections[endpoint] = Connection(open_channel(grpc.aio, endpoint, self.options))
        return self._connections[endpoint]

    async def _call(self, method: str, request, deadline_s: float | None):
        attempts = Attempts(self.options, self._rng, deadline_s, self._health)
        for endpoint, sleep_s in attempts:
            await asyncio.sleep(sleep_s)
            try:
                return await getattr(self._connection(endpoint).stub, method)(request, timeout=attempts.remaining(), metadata=self.options.metadata)
            except grpc.RpcError as exc:
                attempts.failed(exc, endpoint)
        raise attempts.exhausted()

    async def synthesize(
        self, text: str, voice: str | None = None, rate: float = 1.0, *, encoding: str = "float32",
        sample_rate: int | None = None, timestamps: bool = False, deadline_s: float | None = None, request_id: str | None = None,
    ) -> Audio:
        """As TTSClient.synthesize."""
        request = protocol.synthesize_request(text, voice, rate, request_id, encoding=encoding, sample_rate=sample_rate, timestamps=timestamps)
        return protocol.parse_audio(await self._call("ModelInfer", request, deadline_s), encoding)

    async def stream(
        self, text: str, voice: str | None = None, rate: float = 1.0, *, encoding: str = "float32",
        timestamps: bool = False, deadline_s: float | None = None, request_id: str | None = None,
    ) -> AsyncIterator[Audio]:
        """Audio chunks as the server makes them; as TTSClient.stream (failover before the first chunk only;
        leaving the loop early, or aclose(), cancels the server's work)."""
        request = protocol.stream_request(text, voice, rate, request_id, encoding, timestamps)
        attempts = Attempts(self.options, self._rng, deadline_s, self._health)
        for endpoint, sleep_s in attempts:
            await asyncio.sleep(sleep_s)
            call = self._connection(endpoint).stream(request, timeout=attempts.remaining(), metadata=self.options.metadata)
            attempt, finished = StreamAttempt(attempts, endpoint, encoding), False
            try:
                async for message in call:
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
                    await _wait_for_end(call)
                else:
                    call.cancel()
        raise attempts.exhausted()

    async def voices(self) -> list[str]:
        return protocol.parse_voices(await self._call("ModelInfer", protocol.voices_request(), None))

    async def ready(self, models: Sequence[str] = (protocol.TTS_MODEL,)) -> bool:
        """True when an endpoint is ready and so is each of `models` (default: the `tts` model)."""
        try:
            for method, request in protocol.readiness_requests(models):
                if not (await self._call(method, request, None)).ready:
                    return False
        except TTSError:
            return False
        return True

    async def close(self) -> None:
        for connection in self._connections.values():
            await connection.channel.close()
        self._connections.clear()

    async def __aenter__(self) -> "AsyncTTSClient":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()


async def _wait_for_end(call: grpc.aio.UnaryStreamCall) -> None:
    """As client._wait_for_end: let the server end a finished stream (a cancel leaks in tritonserver 2.51)."""
    try:
        async for _ in call:
            pass
    except grpc.RpcError:
        pass
