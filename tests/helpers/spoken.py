"""Speech made by the built-in engine's own eSpeak NG voices, the same every run, and what clean results of it
look like.

eSpeak NG's rendition of a text differs from call to call within a process (its pitch flutter carries on from
one text to the next), so what a test heard would depend on what the tests before it had spoken: a rendition is
made in a process of its own."""

from __future__ import annotations

import asyncio
import re
import sys
from typing import Any

from tests.conftest import REPO

RATE = 16000
TAIL_SILENCE = b"\0\0" * RATE  # a second of quiet after the speech: the utterance ends as it would live

_RENDER = """
import asyncio, sys
from studio.local.espeak import EspeakSynthesizer

async def main(text, voice, nth):
    synthesizer = EspeakSynthesizer()
    for _ in range(nth):
        prepared = await synthesizer.prepare(text, voice)  # what the engine's TTS endpoint serves
        pcm = b"".join([chunk async for chunk in prepared.chunks])
    sys.stdout.buffer.write(pcm)

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""
_renditions: dict[tuple[str, str, int], bytes] = {}


async def rendition(text: str, voice: str, nth: int = 1) -> bytes:
    """The studio's eSpeak NG voice's ``nth`` rendition of ``text`` in a process of its own (16 kHz PCM): the same
    audio every run, whatever the tests before spoke in this one."""
    key = (text, voice, nth)
    if key not in _renditions:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _RENDER, text, voice, str(nth), cwd=REPO,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(process.communicate(), timeout=120)
        assert process.returncode == 0 and out, err.decode(errors="replace")
        _renditions[key] = out
    return _renditions[key]


def content(result: dict[str, Any]) -> str:
    return str(result["alternatives"][0]["content"])


def assert_clean(results: list[dict[str, Any]]) -> None:
    """json-v2 results in time order, every word a word and every punctuation mark attached once, right after the
    word it follows."""
    starts = [r["start_time"] for r in results]
    assert starts == sorted(starts), f"results out of time order: {results}"
    for index, result in enumerate(results):
        if result["type"] == "word":
            assert result["end_time"] > result["start_time"], result
            assert re.fullmatch(r"[\w'-]+", content(result)), f"punctuation inside a word: {result}"
        else:
            assert result["type"] == "punctuation" and result["attaches_to"] == "previous", result
            assert index > 0 and results[index - 1]["type"] == "word", f"a mark not right after a word: {results}"
            assert result["start_time"] == result["end_time"] == results[index - 1]["end_time"], result
