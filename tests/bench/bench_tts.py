"""Text to speech on the built-in engine (eSpeak NG behind the local server, in a process of its own): request to
first audio byte, and to the last, for a sentence, a typical preview paragraph (~300 characters) and a long text,
in ``wav_16000`` (a valid WAV: its length must be known before its first byte) and ``pcm_16000``.

Run: .venv/bin/python -m tests.bench.bench_tts   (target: first byte <= 200 ms for the paragraph)
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time

from studio.api.endpoints import Endpoints
from studio.api.tts import OutputFormat
from studio.services.connections import Connection
from tests.bench.processes import server_process

SENTENCE = "The quick brown fox jumps over the lazy dog."
PARAGRAPH = ("Welcome to Transcription Studio. This preview reads a short paragraph aloud so that you can judge the "
             "voice: its pace, its warmth and how clearly it says names, numbers like 2026 and 3.5 per cent, and "
             "questions. Does it sound natural? Try another voice, or compare two side by side before you choose.")
LONG = " ".join([PARAGRAPH] * 10)
RUNS = 10


async def serve() -> None:
    from studio.local.engine import make_synthesizer
    from studio.local.server import LocalServer, ServerConfig

    server = LocalServer(config=ServerConfig(require_auth=False), synthesizer=make_synthesizer())
    urls = await server.start()
    print(urls.tts, flush=True)
    try:
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    finally:
        await server.stop()


async def measure(connection: Connection, text: str, output_format: OutputFormat) -> tuple[list[float], list[float],
                                                                                           float]:
    firsts, lasts = [], []
    size = 0
    async with connection.tts() as tts:
        for index in range(RUNS + 1):
            started = time.perf_counter()
            first = None
            size = 0
            async for chunk in tts.stream(text, voice="sarah", output_format=output_format):
                if first is None:
                    first = time.perf_counter() - started
                size += len(chunk)
            assert first is not None
            if index:  # the first request warms the connection up
                firsts.append(first)
                lasts.append(time.perf_counter() - started)
    return firsts, lasts, size / 32000


async def run() -> int:
    async with server_process("tests.bench.bench_tts", "--serve") as (_process, url):
        connection = Connection(Endpoints(realtime="ws://unused", batch="http://unused", tts=url, management=url))
        for name, text in (("sentence", SENTENCE), ("paragraph", PARAGRAPH), ("long text", LONG)):
            for output_format in ("wav_16000", "pcm_16000"):
                firsts, lasts, seconds = await measure(connection, text, output_format)
                print(f"TTS {name} ({len(text)} characters, {seconds:.1f} s of speech), {output_format}: first byte "
                      f"median {statistics.median(firsts) * 1000:.0f} ms, max {max(firsts) * 1000:.0f} ms; last byte "
                      f"median {statistics.median(lasts) * 1000:.0f} ms over {RUNS} requests")
    print("target: first byte <= 200 ms for a typical preview (the paragraph)")
    return 0


def main() -> int:
    if "--serve" in sys.argv[1:]:
        asyncio.run(serve())
        return 0
    return asyncio.run(run())


if __name__ == "__main__":
    raise SystemExit(main())
