"""speechmatics-tts 0.1.2 (every voice and format, saved as the examples do and read back with ``wave``) and the
legacy speechmatics-python 5.0 (WebsocketClient, BatchClient and the ``speechmatics`` CLI) against `studio serve`."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import wave
from pathlib import Path

import pytest
from speechmatics.tts import AsyncClient as TtsClient  # type: ignore[import-untyped]
from speechmatics.tts import OutputFormat, Voice

from tests.conformance.conftest import KEY, Served

pytestmark = pytest.mark.usefixtures("sdk_env")


@pytest.mark.parametrize("voice", list(Voice))
@pytest.mark.parametrize("output_format", list(OutputFormat))
async def test_every_voice_and_format_saved_as_is(tmp_path: Path, voice: Voice, output_format: OutputFormat) -> None:
    target = tmp_path / f"{voice.value}.{output_format.value}"
    async with TtsClient() as client:
        response = await client.generate(text="Welcome to the studio.", voice=voice, output_format=output_format)
        with target.open("wb") as out:
            async for chunk in response.content.iter_chunked(1024):
                out.write(chunk)
    data = target.read_bytes()
    if output_format.value.startswith("wav"):
        with wave.open(str(target)) as reader:
            assert (reader.getnchannels(), reader.getframerate(), reader.getsampwidth()) == (1, 16000, 2)
            assert reader.getnframes() == (len(data) - 44) // 2 > 8000  # its real length, not 37 hours
    else:
        assert data[:4] != b"RIFF" and len(data) % 2 == 0 and len(data) > 16000


def test_the_legacy_websocket_and_batch_clients(sdk_env: Served, shared_audio: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from speechmatics import batch_client
    from speechmatics.batch_client import BatchClient  # type: ignore[import-untyped]
    from speechmatics.client import WebsocketClient  # type: ignore[import-untyped]
    from speechmatics.models import (  # type: ignore[import-untyped]
        AudioSettings,
        BatchTranscriptionConfig,
        ConnectionSettings,
        ServerMessageType,
        TranscriptionConfig,
    )

    finals: list[str] = []
    client = WebsocketClient(ConnectionSettings(url=sdk_env.realtime, auth_token=KEY, generate_temp_token=True,
                                                ssl_context=None))
    client.add_event_handler(ServerMessageType.AddTranscript,
                             lambda message: finals.append(message["metadata"]["transcript"]))
    with (shared_audio / "audio_04_16kHz.wav").open("rb") as audio:
        client.run_synchronously(audio, TranscriptionConfig(language="en", enable_partials=True), AudioSettings())
    assert "Welcome" in "".join(finals)

    monkeypatch.setattr(batch_client, "POLLING_DURATION", 0.2)  # its fixed 15 s between status checks
    settings = ConnectionSettings(url=sdk_env.batch, auth_token=KEY)
    with BatchClient(settings) as batch:
        job_id = batch.submit_job(str(shared_audio / "audio_03_16kHz.wav"), BatchTranscriptionConfig(language="en"))
        transcript = batch.wait_for_completion(job_id, transcription_format="txt")
        assert "Welcome" in transcript
        assert job_id in [job["id"] for job in batch.list_jobs()]
        assert "deleted" in str(batch.delete_job(job_id, force=True))


def speechmatics(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPEECHMATICS_", "SM_"))} | {"HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "speechmatics.cli", *args], env=env, capture_output=True, text=True,
                          timeout=60, check=False)


async def test_the_legacy_cli(sdk_env: Served, shared_audio: Path, home: Path) -> None:
    wav = str(shared_audio / "audio_04_16kHz.wav")
    batch_url = ("--url", sdk_env.batch, "--auth-token", KEY)
    rt, submitted = await asyncio.gather(
        asyncio.to_thread(speechmatics, "rt", "transcribe", "--url", sdk_env.realtime, "--auth-token", KEY,
                          "--ssl-mode", "none", "--lang", "en", "--enable-partials", wav, home=home),
        asyncio.to_thread(speechmatics, "batch", "submit", *batch_url, wav, home=home))  # `transcribe` polls every 15 s
    assert rt.returncode == 0 and "Welcome" in rt.stdout, rt.stderr
    assert submitted.returncode == 0, submitted.stderr
    job_id = submitted.stdout.split()[-1]
    for _ in range(50):  # bounded: each check is a real process
        status = speechmatics("batch", "job-status", *batch_url, "--job-id", job_id, home=home)
        assert status.returncode == 0, status.stderr
        if "done" in status.stdout:
            break
    assert "done" in status.stdout, status.stdout
    results = speechmatics("batch", "get-results", *batch_url, "--job-id", job_id, "--output-format", "txt", home=home)
    assert results.returncode == 0 and "Welcome" in results.stdout, results.stderr
    listed = speechmatics("batch", "list-jobs", *batch_url, home=home)
    assert listed.returncode == 0 and job_id in listed.stdout, listed.stderr
