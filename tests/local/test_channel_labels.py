"""Channel diarization labels the batch API accepts (``^[A-Za-z0-9._]+$``): the studio's one helper makes them,
``studio transcribe`` sends them for a two-channel file in batch mode, and the built-in engine answers with each
channel under its label; realtime keeps its readable labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from studio.local.batch import CHANNEL_LABEL
from studio.services.channels import channel_labels
from studio.services.connections import Connection
from studio.services.transcribe import TranscribeOptions, transcribe_file
from tests.helpers.wav import read_wav, write_wav
from tests.helpers.wer import word_error_rate

AUDIO_09 = "How are you getting on, buddy?"
AUDIO_08_START = "Hello. Goodbye. Banana."


def two_channels(shared_audio: Path, path: Path) -> Path:
    left_pcm, rate = read_wav(shared_audio / "audio_09_16kHz.wav")
    right_pcm, _ = read_wav(shared_audio / "audio_08_16kHz.wav")
    left = np.frombuffer(left_pcm, dtype="<i2")
    right = np.frombuffer(right_pcm, dtype="<i2")[: 16000 * 5]  # "Hello. Goodbye. Banana."
    stereo = np.zeros((max(len(left), len(right)), 2), dtype=np.int16)
    stereo[: len(left), 0] = left
    stereo[: len(right), 1] = right
    return write_wav(path, stereo, rate)


@pytest.mark.parametrize("count", [1, 2, 3, 12])
def test_batch_labels_match_the_pattern_the_batch_api_allows(count: int) -> None:
    labels = channel_labels(count, "batch")
    assert len(labels) == len(set(labels)) == count
    assert all(CHANNEL_LABEL.fullmatch(label) for label in labels), labels
    assert channel_labels(count, "realtime") == tuple(label.replace("_", " ") for label in labels)
    assert any(CHANNEL_LABEL.fullmatch(label) is None for label in channel_labels(count, "realtime"))


def text(document: dict[str, object], channel: str) -> str:
    results = document["results"]
    assert isinstance(results, list)
    return " ".join(r["alternatives"][0]["content"] for r in results if r["type"] == "word" and r["channel"] == channel)


async def test_studio_transcribe_of_a_two_channel_file_in_batch(connection: Connection, shared_audio: Path,
                                                                tmp_path: Path) -> None:
    path = two_channels(shared_audio, tmp_path / "call.wav")
    options = TranscribeOptions(mode="batch", diarization="channel", poll_interval=0.05)
    result = await transcribe_file(connection, path, options)  # what `studio transcribe --mode batch` runs
    assert result.config.channel_diarization_labels == ("Channel_1", "Channel_2")
    assert result.document is not None
    assert {r["channel"] for r in result.document["results"]} == {"Channel_1", "Channel_2"}
    assert word_error_rate(AUDIO_09, text(result.document, "Channel_1")) <= 0.34
    assert word_error_rate(AUDIO_08_START, text(result.document, "Channel_2")) <= 0.34
    assert set(result.transcript().channels) == {"Channel_1", "Channel_2"}
    async with connection.batch() as batch:
        assert result.job_id is not None
        job = await batch.get_job(result.job_id)
    assert job.status == "done"
    assert job.config["transcription_config"]["channel_diarization_labels"] == ["Channel_1", "Channel_2"]
