"""The built-in engine's figures, measured through the real protocol against the local server in its own process.

Run: .venv/bin/python -m tests.bench.bench_engine   (``--serve`` is the server process it starts itself)

1. Batch: every English recording in ../shared/audio submitted as a job; real-time factor = wall time from
   submission to transcript over seconds of audio (target <= 0.1), and word error rates where the reference
   is known (audio_08, audio_09).
2. Realtime: a 36 s recording streamed at real-time pace in 100 ms frames with partials on. For every word of
   the reference (the batch transcript's words and times), the latency from the word's end in the audio to
   the first partial, and to the first final, that contains it (targets p50 <= 1.0 s and <= 2.5 s); the
   server process's CPU over the session (target <= 1 core on average).
3. Text to speech: request to first audio byte for one sentence, median of 10 (target <= 200 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]

from studio.api.config import AudioFormat, TranscriptionConfig
from studio.api.endpoints import Endpoints
from studio.api.messages import ServerMessage, Transcript
from studio.local.whisper_results import normalise
from studio.services.connections import Connection
from tests.bench.processes import server_process
from tests.helpers.wer import word_error_rate

AUDIO = Path(__file__).resolve().parents[2].parent / "shared" / "audio"
REFERENCES = {"audio_08_16kHz.wav": "Hello. Goodbye. Banana. Breakaway. Before. After.",
              "audio_09_16kHz.wav": "How are you getting on, buddy?"}
STREAMED = "audio_06_16kHz.wav"
FRAME_SECONDS = 0.1
SENTENCE = "The quick brown fox jumps over the lazy dog."


# -- the server process ---------------------------------------------------------------------------------------

async def serve() -> None:
    from studio.local.engine import BuiltinEngine

    engine = BuiltinEngine()
    urls = await engine.start()
    print(urls.realtime, urls.batch, urls.tts, flush=True)
    loop = asyncio.get_running_loop()
    try:
        await loop.run_in_executor(None, sys.stdin.read)  # the benchmark closes our stdin when it is done
    finally:
        await engine.stop()


# -- measurements -----------------------------------------------------------------------------------------------

def _duration(path: Path) -> float:
    import av

    with av.open(str(path)) as container:
        return float(container.duration or 0) / 1_000_000


def _text(document: dict[str, Any]) -> str:
    return " ".join(r["alternatives"][0]["content"] for r in document["results"] if r["type"] == "word")


async def batch(connection: Connection, server: psutil.Process) -> list[dict[str, Any]]:
    files = sorted(AUDIO.glob("audio_*.wav"))
    audio = sum(_duration(f) for f in files)
    documents = []
    cpu = sum(server.cpu_times()[:2])
    started = time.perf_counter()
    async with connection.batch() as client:
        for path in files:
            job = await client.submit(path, {"type": "transcription", "transcription_config": {"language": "en"}})
            await client.wait_for_completion(job, poll_interval=0.02, backoff=1.0)
            documents.append(await client.transcript(job))
    elapsed = time.perf_counter() - started
    cpu = sum(server.cpu_times()[:2]) - cpu
    print(f"Batch: {len(files)} English files, {audio:.1f} s of audio in {elapsed:.2f} s: real-time factor "
          f"{elapsed / audio:.3f} (target <= 0.1); server CPU {cpu:.1f} s ({cpu / audio:.3f} CPU-s per audio s)")
    for path, document in zip(files, documents, strict=True):
        reference = REFERENCES.get(path.name)
        if reference is not None:
            print(f"  {path.name}: WER {word_error_rate(reference, _text(document)):.2f}  "
                  f"({_text(document)!r} vs {reference!r})")
    return documents


@dataclass
class Seen:
    words: list[tuple[str, float, float]]  # (normalised text, start, end) of one message
    at: float  # stream time when it arrived


def _first(seen: list[Seen], text: str, start: float, end: float) -> float | None:
    for message in seen:
        for word, word_start, word_end in message.words:
            if word == text and word_start < end + 0.3 and word_end > start - 0.3:
                return message.at
    return None


async def realtime(connection: Connection, server: psutil.Process, reference: dict[str, Any]) -> None:
    with wave.open(str(AUDIO / STREAMED)) as source:
        rate = source.getframerate()
        pcm = source.readframes(source.getnframes())
    step = int(rate * FRAME_SECONDS) * 2
    partials: list[Seen] = []
    finals: list[Seen] = []
    started = 0.0

    def listen(message: ServerMessage) -> None:
        if isinstance(message, Transcript):
            words = [(normalise(r.alternatives[0].content), r.start_time, r.end_time) for r in message.results
                     if r.type == "word" and r.alternatives]
            (partials if message.partial else finals).append(Seen(words, time.perf_counter() - started))

    config = TranscriptionConfig(language="en", enable_partials=True, end_of_utterance_silence_trigger=0.5)
    session = await connection.realtime().start(AudioFormat("pcm_s16le", rate), config)
    session.add_listener(listen)
    cpu = sum(server.cpu_times()[:2])
    started = time.perf_counter()
    for index, offset in enumerate(range(0, len(pcm), step)):
        delay = started + index * FRAME_SECONDS - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await session.send_audio(pcm[offset:offset + step])
    await session.end(timeout=60)
    elapsed = time.perf_counter() - started
    cpu = sum(server.cpu_times()[:2]) - cpu
    words = [(normalise(r["alternatives"][0]["content"]), r["start_time"], r["end_time"])
             for r in reference["results"] if r["type"] == "word"]
    partial_latency, final_latency = [], []
    for text, start, end in words:
        first_partial = _first(partials, text, start, end)
        first_final = _first(finals, text, start, end)
        if first_partial is not None or first_final is not None:  # a word seen first as a final counts too
            partial_latency.append(min(t for t in (first_partial, first_final) if t is not None) - end)
        if first_final is not None:
            final_latency.append(first_final - end)
    audio = len(pcm) / 2 / rate
    streamed_text = " ".join(w for seen in finals for w, _, _ in seen.words)
    print(f"Realtime: {STREAMED} ({audio:.1f} s) at real-time pace in {FRAME_SECONDS * 1000:.0f} ms frames, "
          f"{len(partials)} partials, {len(finals)} finals")
    for name, values, target in (("partial", partial_latency, 1.0), ("final", final_latency, 2.5)):
        if values:
            values.sort()
            p90 = values[min(len(values) - 1, int(len(values) * 0.9))]
            print(f"  word end -> first {name}: p50 {statistics.median(values):.2f} s, p90 {p90:.2f} s, "
                  f"max {values[-1]:.2f} s over {len(values)}/{len(words)} reference words (target p50 <= "
                  f"{target} s)")
    print(f"  server CPU {cpu:.1f} s over {elapsed:.1f} s: {cpu / elapsed:.2f} cores on average (target <= 1)")
    print(f"  streamed WER against the batch transcript: {word_error_rate(_text(reference), streamed_text):.2f}")


async def speech(connection: Connection) -> None:
    times = []
    async with connection.tts() as tts:
        for index in range(11):
            started = time.perf_counter()
            first = None
            async for _chunk in tts.stream(SENTENCE, voice="sarah", output_format="wav_16000"):
                if first is None:
                    first = time.perf_counter() - started
            assert first is not None
            if index:  # the first request warms the connection up
                times.append(first)
    print(f"TTS: request to first audio byte for one sentence: median {statistics.median(times) * 1000:.0f} ms, "
          f"max {max(times) * 1000:.0f} ms over {len(times)} requests (target <= 200 ms)")


async def run() -> int:
    async with server_process("tests.bench.bench_engine", "--serve", startup_timeout=60) as (process, first):
        line = first.split()
        if len(line) != 3:
            print(f"the server did not start (said {line!r})")
            return 1
        endpoints = Endpoints(realtime=line[0], batch=line[1], tts=line[2], management=line[2])
        connection = Connection(endpoints)
        server = psutil.Process(process.pid)
        documents = await batch(connection, server)
        reference = documents[[p.name for p in sorted(AUDIO.glob("audio_*.wav"))].index(STREAMED)]
        await realtime(connection, server, reference)
        await speech(connection)
        return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve", action="store_true", help="be the server process")
    if parser.parse_args().serve:
        asyncio.run(serve())
        return 0
    return asyncio.run(run())


if __name__ == "__main__":
    raise SystemExit(main())
