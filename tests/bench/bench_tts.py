"""Text to speech on the built-in engine (eSpeak NG behind the local server, in a process of its own): request to
first audio byte, and to the last, for a sentence, a typical preview paragraph (~300 characters) and a long text,
in ``wav_16000`` (a valid WAV: its length must be known before its first byte) and ``pcm_16000``.

It also measures a **cold start** of the built-in engine as the studio makes one (``BuiltinEngineService``, in
a fresh process each time, nothing imported or loaded yet): from ``ensure_started`` to the first byte of a sentence
spoken by it, and to the Whisper model being ready (a TTS preview does not need the model, so it must not wait
for it), against the same start with the model loaded before the server listens (as the engine did before).

Run: .venv/bin/python -m tests.bench.bench_tts   (target: first byte <= 200 ms for the paragraph)
     .venv/bin/python -m tests.bench.bench_tts --cold [RUNS]   (only the cold start, RUNS fresh processes, 7 by default)
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

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
COLD_RUNS = 7


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


async def cold_start(eager: bool) -> None:
    """One cold start in this (fresh) process; prints its figures as one JSON line. ``eager``: the model is loaded
    before the server listens, as the engine did before it listened at once (for comparison)."""
    from studio.services.builtin import BuiltinEngineService

    started = time.perf_counter()  # the engine's modules are imported on first use, as in the studio
    from studio.local.engine import BuiltinEngine

    if eager:
        listen = BuiltinEngine.start

        async def load_then_listen(engine: BuiltinEngine, host: str = "127.0.0.1", port: int = 0) -> Endpoints:
            await asyncio.to_thread(engine.runtime.warm_up)
            return await listen(engine, host, port)

        BuiltinEngine.start = load_then_listen  # type: ignore[method-assign,assignment]

    with tempfile.TemporaryDirectory(prefix="bench-tts-cold-") as cache:
        service = BuiltinEngineService(Path(cache))
        endpoints = await service.ensure_started("")
        listening = time.perf_counter() - started
        connection = Connection(endpoints)
        first = None
        async with connection.tts() as tts:
            async for _chunk in tts.stream(SENTENCE, voice="sarah", output_format="pcm_16000"):
                if first is None:
                    first = time.perf_counter() - started
        engine = service._engine
        assert engine is not None
        await engine.model_ready()
        ready = time.perf_counter() - started
        await service.stop()
    print(json.dumps({"listening": listening, "first_byte": first, "model_ready": ready}), flush=True)


async def cold_starts(runs: int) -> None:
    """``runs`` fresh processes of each kind, taken in turns (so both see the same load on the machine)."""
    figures: dict[str, list[dict[str, float]]] = {"listening at once": [], "model loaded first (eager)": []}
    for _ in range(runs):
        for kind, flags in zip(figures, ((), ("--eager",)), strict=True):
            child = await asyncio.create_subprocess_exec(sys.executable, "-m", "tests.bench.bench_tts", "--cold-child",
                                                         *flags, stdout=asyncio.subprocess.PIPE)
            out, _ = await child.communicate()
            assert child.returncode == 0, out
            figures[kind].append(json.loads(out.decode().strip().splitlines()[-1]))

    for kind, runs_of_kind in figures.items():
        def line(key: str, of: list[dict[str, float]] = runs_of_kind) -> str:
            values = [f[key] * 1000 for f in of]
            return f"median {statistics.median(values):.0f} ms (min {min(values):.0f}, max {max(values):.0f})"

        print(f"cold start of the built-in engine, {kind}, {runs} fresh processes: ensure_started -> listening "
              f"{line('listening')}; -> first TTS byte of a sentence {line('first_byte')}; -> Whisper model ready "
              f"{line('model_ready')}")


def main() -> int:
    arguments = sys.argv[1:]
    if "--serve" in arguments:
        asyncio.run(serve())
        return 0
    if "--cold-child" in arguments:
        asyncio.run(cold_start("--eager" in arguments))
        return 0
    if "--cold" in arguments:
        rest = arguments[arguments.index("--cold") + 1:]
        asyncio.run(cold_starts(int(rest[0]) if rest else COLD_RUNS))
        return 0
    return asyncio.run(run())


if __name__ == "__main__":
    raise SystemExit(main())
