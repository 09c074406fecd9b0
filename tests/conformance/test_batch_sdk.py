"""speechmatics-batch 1.1.0 against `studio serve`: the README's calls, notifications, features; the built-in
engine where the words matter."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from speechmatics.batch import (
    AsyncClient,
    AutoChaptersConfig,
    FetchData,
    FormatType,
    JobConfig,
    JobStatus,
    JobType,
    NotificationConfig,
    NotificationContents,
    NotificationMethod,
    SentimentAnalysisConfig,
    SummarizationConfig,
    TopicDetectionConfig,
    TranscriptionConfig,
    TranslationConfig,
)

from tests.conformance.conftest import Served

pytestmark = pytest.mark.usefixtures("sdk_env")


@pytest.fixture
async def web_service(shared_audio: Path) -> AsyncIterator[tuple[str, list[web.Request], asyncio.Event]]:
    """The user's own web service: serves a recording for fetch_data and receives callbacks."""
    calls: list[web.Request] = []
    arrived = asyncio.Event()

    async def callback(request: web.Request) -> web.Response:
        await request.read()
        calls.append(request)
        arrived.set()
        return web.Response()

    async def media(_request: web.Request) -> web.FileResponse:
        return web.FileResponse(shared_audio / "audio_03_16kHz.wav")

    app = web.Application()
    app.router.add_post("/callback", callback)
    app.router.add_get("/talk.wav", media)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", calls, arrived
    await runner.cleanup()


async def test_transcribe_and_the_three_formats(shared_audio: Path) -> None:
    async with AsyncClient() as client:
        result = await client.transcribe(str(shared_audio / "audio_04_16kHz.wav"), polling_interval=0.2,
                                         min_polling_interval=0.1)
        assert "Welcome" in result.transcript_text  # type: ignore[union-attr]
        job = await client.submit_job(str(shared_audio / "audio_04_16kHz.wav"))
        await client.wait_for_completion(job.id, polling_interval=0.2, min_polling_interval=0.1)
        text = await client.get_transcript(job.id, format_type=FormatType.TXT)
        srt = await client.get_transcript(job.id, format_type=FormatType.SRT)
        assert isinstance(text, str) and "Welcome" in text
        assert isinstance(srt, str) and srt.startswith("1\n00:00:")


async def test_submit_with_wait_list_created_after_and_delete(shared_audio: Path) -> None:
    async with AsyncClient() as client:
        before = (datetime.now(UTC) - timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
        job = await client.submit_job(str(shared_audio / "audio_03_16kHz.wav"), wait=30)
        assert job.status == JobStatus.DONE
        listed = await client.list_jobs(created_after=before, limit=100)
        assert job.id in [j.id for j in listed]
        later = (datetime.now(UTC) + timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
        assert job.id not in [j.id for j in await client.list_jobs(created_after=later)]
        await client.delete_job(job.id)
        assert job.id not in [j.id for j in await client.list_jobs()]


async def test_fetch_data_features_and_a_notification(web_service: tuple[str, list[web.Request], asyncio.Event]
                                                      ) -> None:
    base, calls, arrived = web_service
    config = JobConfig(
        type=JobType.TRANSCRIPTION, fetch_data=FetchData(url=f"{base}/talk.wav", auth_headers=["X-Token: t"]),
        transcription_config=TranscriptionConfig(language="en", diarization="speaker", enable_entities=True,
                                                 language_hints=["en"]),
        notification_config=[NotificationConfig(url=f"{base}/callback", contents=[NotificationContents.JOBINFO],
                                                method=NotificationMethod.POST,
                                                auth_headers=["Authorization: Bearer hook"])],
        translation_config=TranslationConfig(target_languages=["de"]),
        summarization_config=SummarizationConfig(content_type="auto"),
        sentiment_analysis_config=SentimentAnalysisConfig(), topic_detection_config=TopicDetectionConfig(),
        auto_chapters_config=AutoChaptersConfig())
    async with AsyncClient() as client:
        job = await client.submit_job(None, config=config)
        transcript = await client.wait_for_completion(job.id, polling_interval=0.2, min_polling_interval=0.1)
        assert transcript.results  # type: ignore[union-attr]
    await asyncio.wait_for(arrived.wait(), 15)
    assert calls[0].query["id"] == job.id and calls[0].query["status"] == "success"
    assert calls[0].headers["Authorization"] == "Bearer hook"


async def test_the_built_in_engine_hears_the_words(builtin: Served, shared_audio: Path) -> None:
    async with AsyncClient(url=builtin.batch) as client:
        result = await client.transcribe(str(shared_audio / "audio_09_16kHz.wav"), polling_interval=0.2,
                                         min_polling_interval=0.1)
    assert "buddy" in result.transcript_text.lower()  # type: ignore[union-attr]
