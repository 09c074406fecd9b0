"""The built-in engine listens at once: text to speech works while Whisper is still loading, a realtime session
gets ``RecognitionStarted`` only once the model is ready, a batch job stays ``running`` until then; and a model
that cannot be loaded is said as an Error / a rejected job, not a hang.

The model's load is held back by an event (a real WhisperRuntime, a real load once let go), so what happens
"while it loads" is certain, not a race with the load's speed."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from studio.api.config import AudioFormat, TranscriptionConfig
from studio.api.errors import JobFailedError, RealtimeError
from studio.api.messages import ServerMessage, Transcript
from studio.local.availability import resolve_model
from studio.local.engine import BuiltinEngine
from studio.local.whisper_model import WhisperRuntime
from studio.services.connections import Connection
from tests.helpers.wav import read_wav
from tests.helpers.wer import word_error_rate

AUDIO_09 = "How are you getting on, buddy?"


class HeldRuntime(WhisperRuntime):
    """A Whisper runtime whose load waits until ``release`` is set; ``waiting`` counts the loads held."""

    def __init__(self, failure: str = "") -> None:
        super().__init__(resolve_model(""))
        self.release = threading.Event()
        self.failure = failure
        self.waiting = 0
        self._count = threading.Lock()

    def load(self) -> None:
        if not self.loaded:
            with self._count:
                self.waiting += 1
            self.release.wait(timeout=120)
            if self.failure:
                raise RuntimeError(self.failure)
        super().load()


async def until(condition: object, timeout: float = 30) -> None:
    async with asyncio.timeout(timeout):
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.01)


async def test_speaks_at_once_and_recognition_waits_for_the_model(shared_audio: Path) -> None:
    runtime = HeldRuntime()
    engine = BuiltinEngine(runtime=runtime)
    try:
        endpoints = await engine.start()  # returns with the model still held back
        assert not runtime.loaded
        connection = Connection(endpoints)
        async with connection.tts() as tts:
            speech = b"".join([chunk async for chunk in tts.stream("Ready when you are.", voice="sarah",
                                                                   output_format="pcm_16000")])
        assert len(speech) > 16000 and not runtime.loaded  # a second of speech, and still no model

        pcm, rate = read_wav(shared_audio / "audio_09_16kHz.wav")
        starting = asyncio.create_task(connection.realtime().start(AudioFormat("pcm_s16le", rate),
                                                                    TranscriptionConfig(language="en")))
        async with connection.batch() as batch:
            job_id = await batch.submit(shared_audio / "audio_09_16kHz.wav",
                                        {"type": "transcription", "transcription_config": {"language": "en"}})
            await until(lambda: runtime.waiting >= 3)  # the warm-up, the session and the job all wait for it
            assert (await batch.get_job(job_id)).status == "running"
            assert not starting.done()  # no RecognitionStarted before the model is there

            runtime.release.set()
            session = await asyncio.wait_for(starting, 60)
            messages: list[ServerMessage] = []
            session.add_listener(messages.append)
            for offset in range(0, len(pcm), 3200):
                await session.send_audio(pcm[offset:offset + 3200])
            await session.end(timeout=60)
            heard = " ".join(r.alternatives[0].content for m in messages
                             if isinstance(m, Transcript) and not m.partial for r in m.results if r.type == "word")
            assert word_error_rate(AUDIO_09, heard) <= 0.34, heard

            await batch.wait_for_completion(job_id, poll_interval=0.05)
            document = await batch.transcript(job_id)
        written = " ".join(r["alternatives"][0]["content"] for r in document["results"] if r["type"] == "word")
        assert word_error_rate(AUDIO_09, written) <= 0.34, written
        await asyncio.wait_for(engine.model_ready(), 60)
    finally:
        runtime.release.set()
        await engine.stop()


async def test_a_model_that_cannot_load_is_an_error_not_a_hang(shared_audio: Path) -> None:
    runtime = HeldRuntime(failure="model.bin is damaged")
    runtime.release.set()
    engine = BuiltinEngine(runtime=runtime)
    try:
        connection = Connection(await engine.start())
        with pytest.raises(RealtimeError) as caught:
            await connection.realtime().start(AudioFormat("pcm_s16le", 16000), TranscriptionConfig(language="en"))
        assert caught.value.type == "job_error" and "model.bin is damaged" in caught.value.reason
        async with connection.batch() as batch:
            with pytest.raises(JobFailedError, match=r"model\.bin is damaged"):
                await batch.transcribe(shared_audio / "audio_09_16kHz.wav",
                                       {"type": "transcription", "transcription_config": {"language": "en"}},
                                       poll_interval=0.05, timeout=60)
        async with connection.tts() as tts:  # speaking never needed the model
            assert b"".join([chunk async for chunk in tts.stream("Still here.", output_format="pcm_16000")])
    finally:
        await engine.stop()


async def test_an_unusable_model_refuses_to_start(tmp_path: Path) -> None:
    engine = BuiltinEngine(str(tmp_path))  # a folder with no model.bin
    with pytest.raises(RuntimeError, match="no CTranslate2 Whisper model"):
        await engine.start()
    assert engine.endpoints is None
