"""`studio speak` as a person runs it: a real process, on the built-in engine's eSpeak NG voices or against a
real local server standing in for Speechmatics, writing files Python's ``wave`` reads back."""

from __future__ import annotations

import asyncio
import sys
import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from studio.audio.capture import Capture
from studio.local.faults import HttpFault
from studio.local.server import LocalServer
from studio.services.voices.clip import SPEECHMATICS_TEXT_LIMIT
from tests.audio.test_capture_device import best_alignment
from tests.audio.test_playback_device import Recorder, running_sink
from tests.conftest import REPO
from tests.fakes.server import SERVER_KEY
from tests.services.voices.conftest import RequestCounter
from tests.test_transcribe_cli import environment, studio

pytestmark = pytest.mark.usefixtures("studio_home")

TEXT = "Welcome to the future of speech technology!"


def read_wav(path: Path) -> tuple[int, npt.NDArray[np.int16]]:
    with wave.open(str(path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        return wav.getframerate(), np.frombuffer(wav.readframes(wav.getnframes()), "<i2")


def remote(server: LocalServer, *args: str | Path) -> list[str | Path]:
    return ["speak", "--engine", "speechmatics", "--url", server.base_url, *args]


async def test_the_built_in_engine_writes_a_wav(tmp_path: Path) -> None:
    out = tmp_path / "hello.wav"
    run = await studio("speak", "Hello there, this is the built-in engine.", "--voice", "sarah", "--out", out,
                       "--engine", "local")
    assert run.status == 0, run.stderr
    rate, samples = read_wav(out)
    assert rate == 16000 and len(samples) > 16000  # over a second of speech
    assert np.abs(samples).max() > 3000  # and not silence
    assert run.stdout.strip() == f"studio speak: wrote {out} ({len(samples) / 16000:.1f} s, sarah on the " \
                                 "built-in engine)"
    assert [p.name for p in tmp_path.iterdir()] == ["hello.wav"]  # no partial file left behind


async def test_built_in_voices_by_their_own_names_and_raw_pcm(tmp_path: Path) -> None:
    text_file = tmp_path / "text.txt"
    text_file.write_text("Bonjour à tous, et bienvenue.", encoding="utf-8")
    pcm = tmp_path / "bonjour.pcm"
    run = await studio("speak", "--file", text_file, "--voice", "fr-fr", "--out", pcm, "--engine", "local")
    assert run.status == 0, run.stderr
    raw = pcm.read_bytes()
    assert not raw.startswith(b"RIFF") and len(raw) > 16000 and len(raw) % 2 == 0
    as_wav = tmp_path / "bonjour.wav"
    run = await studio("speak", "--file", text_file, "--voice", "fr-fr", "--out", as_wav, "--engine", "local")
    assert run.status == 0, run.stderr
    assert read_wav(as_wav)[1].tobytes() == raw  # the same audio, with a header


async def test_speechmatics_with_text_from_standard_input(server: LocalServer, tmp_path: Path) -> None:
    counter = RequestCounter(server)
    out = tmp_path / "stdin.wav"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "studio", *map(str, remote(server, "--voice", "megan", "--out", out)), cwd=REPO,
        env=environment(), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    stdout, stderr = await asyncio.wait_for(process.communicate(TEXT.encode()), 60)
    assert process.returncode == 0, stderr.decode()
    rate, samples = read_wav(out)
    assert rate == 16000 and len(samples) == int(len(TEXT) * 0.06 * 16000)  # the tone voice's length
    assert counter.count == 1
    assert "megan on" in stdout.decode()


async def test_format_overrides_the_file_name(server: LocalServer, tmp_path: Path) -> None:
    out = tmp_path / "no-extension"
    run = await studio(*remote(server, TEXT, "--out", out, "--format", "pcm_16000"))
    assert run.status == 0, run.stderr
    assert len(out.read_bytes()) == 2 * int(len(TEXT) * 0.06 * 16000)


async def test_what_cannot_be_done_is_said_in_one_line(server: LocalServer, tmp_path: Path) -> None:
    counter = RequestCounter(server)
    out = tmp_path / "x.wav"
    run = await studio(*remote(server, TEXT, "--voice", "nobody", "--out", out))
    assert run.status == 2 and run.errors == ["studio speak: Speechmatics has no voice called “nobody”; "
                                              "choose another"]
    run = await studio(*remote(server, "a" * (SPEECHMATICS_TEXT_LIMIT + 1), "--out", out))
    assert run.status == 2 and "5,001 characters long" in run.stderr
    assert counter.count == 1  # the unknown voice was asked for; the long text never was
    run = await studio("speak", TEXT, "--engine", "local")
    assert run.status == 2 and run.errors == ["studio speak: say where the audio goes: --out FILE, --play, or both"]
    run = await studio("speak", "   ", "--out", out, "--engine", "local")
    assert run.status == 2 and "no text to speak" in run.stderr
    run = await studio("speak", "--file", tmp_path / "missing.txt", "--out", out)
    assert run.status == 2 and "missing.txt cannot be read" in run.stderr
    run = await studio("speak", "x", "--voice", "nobody", "--out", out, "--engine", "local")
    assert run.status == 2 and "The built-in engine has no voice called “nobody”" in run.stderr
    assert not any(tmp_path.iterdir())


async def test_service_failures(server: LocalServer, tmp_path: Path) -> None:
    out = tmp_path / "x.wav"
    run = await studio(*remote(server, TEXT, "--out", out), env=environment("not-the-key-0123456"))
    assert run.status == 1 and run.errors == ["studio speak: Your API key was rejected"]
    server.faults.http.append(HttpFault("/generate", status=503, times=10))
    run = await studio(*remote(server, TEXT, "--out", out))
    assert run.status == 1 and "had a problem (HTTP 503)" in run.stderr
    run = await studio(*remote(server, TEXT, "--out", out), env=environment(None))  # and no keychain either
    assert run.status == 2 and "SPEECHMATICS_API_KEY" in run.stderr and len(run.errors) == 1
    assert not any(tmp_path.iterdir())
    assert SERVER_KEY not in run.stderr


@pytest.mark.usefixtures("desktop")
async def test_play_is_heard_on_the_default_device(tmp_path: Path) -> None:
    out = tmp_path / "played.wav"
    recorder = Recorder(10**9)
    with running_sink(), Capture("pulse", samplerate=16000, on_block=recorder):
        assert await asyncio.to_thread(recorder.live)
        run = await studio("speak", "Testing the default output device, one two three.", "--voice", "theo",
                           "--engine", "local", "--play", "--out", out)
        assert await asyncio.to_thread(recorder.more(8000).wait, 20)  # half a second more
    assert run.status == 0, run.stderr
    assert f"wrote {out}" in run.stdout
    _rate, samples = read_wav(out)
    recorded = recorder.recorded
    lag, correlation = best_alignment(recorded, (samples / 32768).astype(np.float32))
    assert correlation > 0.9, f"correlation {correlation:.3f} at lag {lag}"


@pytest.mark.usefixtures("desktop")
async def test_list_devices() -> None:
    run = await studio("speak", "--list-devices")
    assert run.status == 0
    assert any(line.startswith("* default") for line in run.stdout.splitlines())
