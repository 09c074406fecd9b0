"""Realtime throughput: one hour of 16 kHz s16le audio in 20 ms frames to the local server in another process,
as fast as the acknowledgements allow.

Run: .venv/bin/python -m tests.bench.bench_realtime   Targets: >= 300x real time, client peak RSS growth < 20 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import time

import numpy as np
import psutil  # type: ignore[import-untyped]

from studio.api.config import AudioFormat, TranscriptionConfig
from studio.api.messages import ServerMessage, Transcript
from studio.api.realtime import RealtimeClient, RealtimeOptions
from tests.bench.processes import server_process

RATE = 16000
FRAME_SECONDS = 0.02


def tone_frames(seconds: float = 1.0) -> list[bytes]:
    """A second of a quiet 440 Hz tone, cut into 20 ms frames that are sent over and over."""
    samples = int(RATE * seconds)
    t = np.arange(samples) / RATE
    pcm = (0.1 * np.sin(2 * math.pi * 440.0 * t) * 32767).astype("<i2").tobytes()
    step = int(RATE * FRAME_SECONDS) * 2
    return [pcm[i:i + step] for i in range(0, len(pcm), step)]


async def run(args: argparse.Namespace) -> int:
    async with server_process("tests.bench.realtime_server") as (process, url):
        if not url.startswith("ws://"):
            print(f"the server did not start (said {url!r})")
            return 1
        me = psutil.Process(os.getpid())
        options = RealtimeOptions(max_in_flight=args.window, message_buffer=0)
        client = RealtimeClient(url, options=options)
        frames = tone_frames()
        total = int(args.seconds / FRAME_SECONDS)
        finals = 0

        def count(message: ServerMessage) -> None:
            nonlocal finals
            if isinstance(message, Transcript) and not message.partial:
                finals += 1

        peak = baseline = me.memory_info().rss
        sampling = True

        async def sample() -> None:
            nonlocal peak
            while sampling:
                peak = max(peak, me.memory_info().rss)
                await asyncio.sleep(0.05)

        session = await client.start(AudioFormat("pcm_s16le", RATE), TranscriptionConfig(language="en"))
        session.add_listener(count)
        baseline = me.memory_info().rss
        sampler = asyncio.create_task(sample())
        started = time.perf_counter()
        cpu_started = time.process_time()
        server_stats = psutil.Process(process.pid)
        server_cpu_started = sum(server_stats.cpu_times()[:2])
        send = session.send_audio
        for index in range(total):
            await send(frames[index % len(frames)])
        sent = time.perf_counter() - started
        await session.end(timeout=120)
        elapsed = time.perf_counter() - started
        client_cpu = time.process_time() - cpu_started
        server_cpu = sum(server_stats.cpu_times()[:2]) - server_cpu_started
        sampling = False
        await sampler
        peak = max(peak, me.memory_info().rss)
        audio = total * FRAME_SECONDS
        print(f"{total} frames ({audio / 3600:.2f} h of audio) in {elapsed:.2f} s (all sent after {sent:.2f} s): "
              f"{audio / elapsed:.0f}x real time (target >= 300x); window {args.window} frames; "
              f"{session.frames_acked} acks, {finals} finals")
        print(f"CPU: client {client_cpu:.2f} s, server {server_cpu:.2f} s")
        print(f"client RSS: {baseline / 2**20:.1f} MiB at start, peak growth {(peak - baseline) / 2**20:.1f} MiB "
              f"(target < 20 MB)")
        return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3600.0, help="seconds of audio to stream")
    parser.add_argument("--window", type=int, default=512, help="un-acknowledged frames allowed in flight")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
