"""`tts`: speak text to audio files, list voices, check health.

  tts say "Hello there." -o hello.wav [--voice en_us_joe] [--rate 1.2] [--server eu:8001 --server us:8001]
  tts say "Hello there." -o hello.ogg [--sample-rate 48000]   # the extension picks the format: .wav .ogg/.opus .pcm
  tts say "<speak>Hi <break time='300ms'/> there.</speak>" -o hi.wav   # SSML
  tts say "Now playing Sade." -o now.wav --timestamps now.json          # word start and end times
  tts say --file lines.txt -o out.wav     # one utterance per line -> out_001.wav, out_002.wav, ...
  echo "Hello." | tts say -o hello.wav     # text from stdin
  tts say --stream -o - "Hello." | aplay -f S16_LE -r 22050 -c 1   # play while the server still speaks
  tts voices
  tts health

Exit codes: 0 done, 2 bad input or usage, 3 service unavailable or deadline exceeded, 4 not authorised,
1 any other error.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Iterable

from triton_tts_client.audio import ENCODING_BY_SUFFIX, Audio, Word, open_wav
from triton_tts_client.client import TTSClient
from triton_tts_client.errors import (
    AuthenticationError,
    DeadlineExceededError,
    InvalidRequestError,
    ServerError,
    ServiceUnavailableError,
    TTSError,
)
from triton_tts_client.options import DEFAULT_DEADLINE_S, DEFAULT_ENDPOINT, TLSConfig

STDOUT = Path("-")
EXIT_CODES: list[tuple[type[TTSError], int]] = [
    (InvalidRequestError, 2),
    (ServiceUnavailableError, 3),
    (DeadlineExceededError, 3),
    (AuthenticationError, 4),
]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--server", action="append", metavar="HOST:PORT", help=f"repeat for failover, nearest first (default {DEFAULT_ENDPOINT})")
    common.add_argument("--deadline", type=float, default=DEFAULT_DEADLINE_S, metavar="SECONDS")
    common.add_argument("--header", action="append", default=[], metavar="KEY=VALUE", help="extra gRPC metadata, e.g. authorization=Bearer...")
    common.add_argument("--tls", action="store_true", help="use TLS with the system's trust store")
    common.add_argument("--tls-ca", metavar="FILE")
    common.add_argument("--tls-cert", metavar="FILE", help="client certificate for mutual TLS")
    common.add_argument("--tls-key", metavar="FILE")
    parser = argparse.ArgumentParser(prog="tts", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    say = commands.add_parser("say", parents=[common], help="speak text into WAV files")
    say.add_argument("text", nargs="?", help="the text; omit (or '-') to read standard input")
    say.add_argument("--file", type=Path, help="one utterance per line")
    say.add_argument("-o", "--output", type=Path, default=Path("out.wav"),
                     help="audio file (.wav, .ogg or .opus for Ogg/Opus, .pcm for raw 16-bit PCM), or - for raw "
                          "16-bit little-endian PCM on standard output")
    say.add_argument("--sample-rate", type=int, metavar="HZ", help="resample on the server (8000-48000; Opus: 8/12/16/24/48 kHz)")
    say.add_argument("--timestamps", type=Path, metavar="JSON", help="write each word's start and end (seconds) to this JSON file")
    say.add_argument("--stream", action="store_true", help="write audio chunk by chunk as the server streams it (tts_stream; WAV or PCM)")
    say.add_argument("--voice")
    say.add_argument("--rate", type=float, default=1.0)
    commands.add_parser("voices", parents=[common], help="list the voices")
    commands.add_parser("health", parents=[common], help="exit 0 when the service is ready")
    return parser.parse_args(argv)


def make_client(args: argparse.Namespace) -> TTSClient:
    headers = []
    for header in args.header:
        key, sep, value = header.partition("=")
        if not sep:
            raise SystemExit(f"tts: --header needs KEY=VALUE, got {header!r}")
        headers.append((key.strip().lower(), value.strip()))
    tls = TLSConfig.from_files(args.tls_ca, args.tls_cert, args.tls_key) if (args.tls or args.tls_ca or args.tls_cert) else None
    return TTSClient(args.server or [DEFAULT_ENDPOINT], deadline_s=args.deadline, metadata=tuple(headers), tls=tls)


def utterances(args: argparse.Namespace) -> list[str]:
    if args.file:
        lines = args.file.read_text(encoding="utf-8").splitlines()
    elif args.text and args.text != "-":
        lines = [args.text]
    else:
        lines = sys.stdin.read().splitlines()
    return [line.strip() for line in lines if line.strip()]


def output_paths(output: Path, count: int) -> list[Path]:
    """One utterance -> the given path; several -> numbered files beside it (or all to standard output)."""
    if count == 1 or output == STDOUT:
        return [output] * count
    return [output.with_name(f"{output.stem}_{k:03d}{output.suffix or '.wav'}") for k in range(1, count + 1)]


def encoding_for(path: Path, stream: bool) -> str:
    """The server encoding a file needs: by extension (WAV when unknown); standard output and streams get PCM16
    (a stream's chunks are written into the WAV file as they arrive)."""
    encoding = "pcm16" if path == STDOUT else ENCODING_BY_SUFFIX.get(path.suffix.lower(), "wav")
    if stream and encoding == "wav":
        return "pcm16"
    return encoding


def run(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        if args.command == "health":
            ready = client.ready()
            print("ready" if ready else "not ready")
            return 0 if ready else 3
        if args.command == "voices":
            print("\n".join(client.voices()))
            return 0
        texts = utterances(args)
        if not texts:
            print("tts: no text to speak (give TEXT, --file, or pipe text in)", file=sys.stderr)
            return 2
        encoding = encoding_for(args.output, args.stream)
        if args.stream and encoding not in ("pcm16", "float32"):
            print(f"tts: --stream writes WAV or raw PCM; {args.output.suffix} needs the whole audio (drop --stream)", file=sys.stderr)
            return 2
        timestamp_paths = output_paths(args.timestamps, len(texts)) if args.timestamps else [None] * len(texts)
        for text, path, timestamps in zip(texts, output_paths(args.output, len(texts)), timestamp_paths):
            if args.stream:
                chunks = client.stream(text, args.voice, args.rate, encoding=encoding, timestamps=timestamps is not None)
                seconds, chunk, words = write_audio(chunks, path)
            else:
                chunk = client.synthesize(text, args.voice, args.rate, encoding=encoding, sample_rate=args.sample_rate, timestamps=timestamps is not None)
                seconds, words = write_whole(chunk, path), chunk.words
            if timestamps is not None:
                timestamps.write_text(json.dumps([asdict(w) for w in words], indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            report = sys.stderr if path == STDOUT else sys.stdout
            print(f"{path}: {seconds:.2f} s, {chunk.sample_rate} Hz, {encoding}, request {chunk.request_id}", file=report)
    return 0


def write_whole(audio: Audio, path: Path) -> float:
    """The audio as the file's format wants it (the server's bytes as they are); returns its seconds."""
    if path == STDOUT:
        sys.stdout.buffer.write(audio.pcm16())
        sys.stdout.buffer.flush()
    else:
        path.write_bytes(audio.file_bytes())
    return audio.duration


def write_audio(chunks: Iterable[Audio], path: Path) -> tuple[float, Audio, list[Word]]:
    """Write each chunk as it arrives (WAV file, or raw PCM16 on stdout, flushed per chunk so a player starts
    at once); returns the seconds written, the last chunk and the words the chunks carried."""
    seconds, last, words = 0.0, None, []
    with contextlib.ExitStack() as stack:
        wav = None
        for chunk in chunks:
            if path == STDOUT:
                sys.stdout.buffer.write(chunk.pcm16())
                sys.stdout.buffer.flush()
            else:
                if wav is None:
                    wav = stack.enter_context(open_wav(path, chunk.sample_rate))
                wav.writeframes(chunk.pcm16())
            seconds, last = seconds + chunk.duration, chunk
            words += chunk.words
    if last is None:
        raise ServerError("the server sent no audio")
    return seconds, last, words


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except TTSError as exc:
        print(f"tts: {exc}", file=sys.stderr)
        return next((code for kind, code in EXIT_CODES if isinstance(exc, kind)), 1)
    except OSError as exc:
        print(f"tts: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
