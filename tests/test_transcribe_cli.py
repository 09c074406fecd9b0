"""`studio transcribe` and `studio jobs` as a person runs them: a real process against a real local server (or
the built-in engine), on the shared recordings and on an MP3 and an MP4 made here."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import os
import pty
import sys
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import pytest

from studio.api.auth import StaticKey
from studio.api.batch import BatchClient
from studio.api.config import JobConfig
from studio.audio import riff
from studio.core.redaction import Redactor
from studio.local.server import LocalServer, ServerConfig
from studio.services.headless import JobsRequest, run_jobs
from studio.storage.paths import Paths
from tests.conftest import REPO
from tests.fakes.server import SERVER_KEY
from tests.helpers.media import make_mp3, make_mp4

MARKERS = ("Welcome", "buddy", "How are you")  # the scripted engine's first words, or Whisper's of audio_09


@dataclass
class Run:
    status: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def errors(self) -> list[str]:
        return self.stderr.splitlines()


def environment(key: str | None = SERVER_KEY) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPEECHMATICS_", "SM_"))}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"  # never the real keychain
    if key is not None:
        env["SPEECHMATICS_API_KEY"] = key
    return env


async def studio(*args: str | Path, env: dict[str, str] | None = None, stderr: int | None = None,
                 timeout: float = 90) -> Run:
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "studio", *map(str, args), cwd=REPO, env=env or environment(),
        stdout=asyncio.subprocess.PIPE, stderr=stderr if stderr is not None else asyncio.subprocess.PIPE)
    async with asyncio.timeout(timeout):
        out, err = await process.communicate()
    assert process.returncode is not None
    return Run(process.returncode, out.decode(), (err or b"").decode(), time.monotonic() - started)


def transcribe(server: LocalServer | str, *args: str | Path) -> list[str | Path]:
    url = server if isinstance(server, str) else server.urls.batch
    return ["transcribe", "--engine", "speechmatics", "--url", url, *args]


def assert_transcript(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    json.loads(text)
    assert any(marker in text for marker in MARKERS), text[:300]


@pytest.fixture
def media(tmp_path: Path, shared_audio: Path) -> dict[str, Path]:
    made = tmp_path / "made"
    made.mkdir()
    return {"mp3": make_mp3(made / "voice memo.mp3", shared_audio / "audio_04_16kHz.wav"),
            "mp4": make_mp4(made / "screen.mp4", shared_audio / "audio_08_16kHz.wav")}


@pytest.mark.usefixtures("studio_home")
async def test_realtime_writes_one_output_per_file(server: LocalServer, shared_audio: Path, tmp_path: Path,
                                                   media: dict[str, Path]) -> None:
    files = [shared_audio / "audio_02_8kHz.wav", shared_audio / "audio_05_16kHz.wav",
             shared_audio / "audio_08_16kHz.wav", media["mp3"], media["mp4"]]
    out = tmp_path / "out"
    run = await studio(*transcribe(server, *files, "--fast", "--format", "json", "--out", out))
    assert run.status == 0, run.stderr
    assert run.stderr == ""  # piped: no progress bar, nothing else either
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{f.stem}.json" for f in files)
    for file in files:
        assert_transcript(out / f"{file.stem}.json")
        assert f"{file}: wrote {out / (file.stem + '.json')}" in run.stdout.splitlines()
    await asyncio.wait_for(_usage(server, len(files)), 5)
    seconds = sorted(u.seconds for u in server.usage)
    for wav in files[:3]:  # each WAV's data chunk was streamed, and nothing of the metadata after it
        assert any(abs(s - riff.read_wav(wav).duration) < 0.002 for s in seconds), (wav, seconds)


async def _usage(server: LocalServer, count: int) -> None:
    while len(server.usage) < count:
        await asyncio.sleep(0.01)


@pytest.mark.usefixtures("studio_home")
async def test_batch_then_the_jobs_command(server: LocalServer, shared_audio: Path, tmp_path: Path,
                                           media: dict[str, Path]) -> None:
    files = [shared_audio / "audio_03_16kHz.wav", shared_audio / "audio_06_16kHz.wav", media["mp3"], media["mp4"]]
    out = tmp_path / "batch"
    run = await studio(*transcribe(server, *files, "--mode", "batch", "--format", "json", "--out", out))
    assert run.status == 0 and run.stderr == "", run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == 4
    jobs = [line.rsplit("(job ", 1)[1].rstrip(")") for line in lines]
    for file in files:
        assert_transcript(out / f"{file.stem}.json")

    url = ["--url", server.urls.batch]
    listing = await studio("jobs", *url, "list")
    assert listing.status == 0 and all(job in listing.stdout for job in jobs)
    assert "voice memo.mp3" in listing.stdout and " done " in listing.stdout
    details = await studio("jobs", *url, "get", jobs[0])
    assert json.loads(details.stdout)["status"] == "done" and json.loads(details.stdout)["id"] == jobs[0]
    text = await studio("jobs", *url, "transcript", jobs[0], "--format", "txt")
    assert text.status == 0 and "Welcome to the studio." in text.stdout
    deleted = await studio("jobs", *url, "delete", jobs[0])
    assert deleted.status == 0 and deleted.stdout.strip() == f"{jobs[0]}: deleted"
    # The rest in-process (the same code the command runs), to keep the test quick.
    document = await jobs_command(server, JobsRequest("transcript", jobs[1]))
    assert document[0] == 0 and json.loads(document[1])["results"]
    assert (await jobs_command(server, JobsRequest("list", limit=2)))[1].count("\n") == 3  # a header, 2 jobs
    gone = await jobs_command(server, JobsRequest("transcript", jobs[0]))
    assert gone[0] == 1 and gone[2].count("\n") == 1 and gone[2].startswith("studio jobs: ")
    assert await jobs_command(server, JobsRequest("get", "nosuchjob1")) == (1, "", "studio jobs: Job not found.\n")


async def jobs_command(server: LocalServer, request: JobsRequest) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    request = dataclasses.replace(request, url=server.urls.batch)
    status = await run_jobs(request, env={"SPEECHMATICS_API_KEY": SERVER_KEY}, redactor=Redactor(), stdout=out,
                            stderr=err)
    return status, out.getvalue(), err.getvalue()


async def test_deleting_a_running_job_needs_force(shared_audio: Path) -> None:
    async with LocalServer(config=ServerConfig(api_keys=frozenset({SERVER_KEY}), min_job_seconds=60)) as slow:
        async with BatchClient(StaticKey(SERVER_KEY), url=slow.urls.batch) as batch:
            job = await batch.submit(shared_audio / "audio_09_16kHz.wav", JobConfig())
        refused = await studio("jobs", "--url", slow.urls.batch, "delete", job)
        assert refused.status == 1 and len(refused.errors) == 1 and "studio jobs: " in refused.stderr
        forced = await studio("jobs", "--url", slow.urls.batch, "delete", job, "--force")
        assert forced.status == 0 and forced.stdout.strip() == f"{job}: deleted"


@pytest.mark.usefixtures("studio_home")
async def test_paced_realtime_takes_as_long_as_the_audio(server: LocalServer, shared_audio: Path,
                                                         tmp_path: Path) -> None:
    run = await studio(*transcribe(server, shared_audio / "audio_09_16kHz.wav", "--format", "json",
                                   "--out", tmp_path))
    assert run.status == 0, run.stderr
    assert run.seconds >= 0.9 * 3.25
    assert_transcript(tmp_path / "audio_09_16kHz.json")


@pytest.mark.usefixtures("studio_home")
async def test_batch_channel_diarization_of_a_two_channel_file(server: LocalServer, shared_audio: Path,
                                                               tmp_path: Path) -> None:
    """The batch API allows only ``^[A-Za-z0-9._]+$`` in a channel label, and the local server refuses a job
    otherwise, as the service does: the labels `studio transcribe` sends in batch are ones it accepts."""
    left, _ = read_wav_pcm(shared_audio / "audio_09_16kHz.wav")
    right, _ = read_wav_pcm(shared_audio / "audio_03_16kHz.wav")
    frames = min(len(left), len(right)) // 2
    stereo = bytearray()
    for index in range(frames):
        stereo += left[2 * index:2 * index + 2] + right[2 * index:2 * index + 2]
    path = tmp_path / "call.wav"
    with wave.open(str(path), "wb") as target:
        target.setnchannels(2)
        target.setsampwidth(2)
        target.setframerate(16000)
        target.writeframes(bytes(stereo))
    out = tmp_path / "out"
    run = await studio(*transcribe(server, path, "--mode", "batch", "--diarization", "channel", "--format", "json",
                                   "--out", out))
    assert run.status == 0 and run.stderr == "", run.stderr
    job_id = run.stdout.strip().rsplit("(job ", 1)[1].rstrip(")")
    async with BatchClient(StaticKey(SERVER_KEY), url=server.urls.batch) as batch:
        job = await batch.get_job(job_id)
    assert job.status == "done"
    assert job.config["transcription_config"]["channel_diarization_labels"] == ["Channel_1", "Channel_2"]
    assert_transcript(out / "call.json")


def read_wav_pcm(path: Path) -> tuple[bytes, int]:
    with wave.open(str(path)) as source:
        return source.readframes(source.getnframes()), source.getframerate()


@pytest.mark.usefixtures("studio_home")
@pytest.mark.parametrize("mode", ["realtime", "batch"])
async def test_bad_files_get_one_line_each_and_the_others_are_done(server: LocalServer, shared_audio: Path,
                                                                  tmp_path: Path, mode: str) -> None:
    text = tmp_path / "notes.wav"
    text.write_text("These are my notes, not a recording.\n" * 30)
    missing = tmp_path / "missing.wav"
    good = [shared_audio / "audio_09_16kHz.wav", shared_audio / "audio_03_16kHz.wav"]
    out = tmp_path / "out"
    run = await studio(*transcribe(server, missing, good[0], text, good[1], "--fast", "--mode", mode,
                                   "--format", "json", "--out", out))
    assert run.status == 1
    assert run.errors == [f"studio transcribe: {missing}: No such file",
                          f"studio transcribe: {text}: Not an audio or video file the studio can read"]
    assert sorted(p.name for p in out.iterdir()) == ["audio_03_16kHz.json", "audio_09_16kHz.json"]
    assert len(run.stdout.splitlines()) == 2


@pytest.mark.usefixtures("studio_home")
@pytest.mark.parametrize("mode", ["realtime", "batch"])
async def test_a_rejected_key(server: LocalServer, shared_audio: Path, tmp_path: Path, mode: str) -> None:
    files = [shared_audio / "audio_09_16kHz.wav", shared_audio / "audio_03_16kHz.wav"]
    run = await studio(*transcribe(server, *files, "--fast", "--mode", mode, "--format", "json", "--out", tmp_path),
                       env=environment("a-key-the-server-does-not-know"))
    assert run.status == 1
    # The service's words, then the studio's advice (studio.services.advice.explain).
    assert run.errors == [f"studio transcribe: {f}: Your API key was rejected. Check SPEECHMATICS_API_KEY, or the "
                          "key saved in the studio's Settings." for f in files]
    assert not list(tmp_path.glob("*.json"))


@pytest.mark.usefixtures("studio_home")
@pytest.mark.parametrize("mode", ["realtime", "batch"])
async def test_a_server_that_is_gone(shared_audio: Path, tmp_path: Path, mode: str) -> None:
    async with LocalServer() as gone:
        url = gone.urls.batch
    run = await studio(*transcribe(url, shared_audio / "audio_09_16kHz.wav", "--fast", "--mode", mode,
                                   "--format", "json", "--out", tmp_path))
    assert run.status == 1
    assert len(run.errors) == 1 and run.errors[0].startswith(f"studio transcribe: {shared_audio}/audio_09")
    assert "could not be reached" in run.errors[0]


@pytest.mark.usefixtures("studio_home")
async def test_a_connection_lost_mid_file(server: LocalServer, shared_audio: Path, tmp_path: Path) -> None:
    server.faults.realtime.drop_after_frames = 1000  # audio_06 has 1805 frames of 20 ms; the others fewer
    files = [shared_audio / "audio_09_16kHz.wav", shared_audio / "audio_06_16kHz.wav",
             shared_audio / "audio_04_16kHz.wav"]
    run = await studio(*transcribe(server, *files, "--fast", "--format", "json", "--out", tmp_path))
    assert run.status == 1, run.stderr
    # Exactly one line: the sender's failure (the same dropped connection) is retrieved, never logged by asyncio.
    assert run.errors == [f"studio transcribe: {files[1]}: The connection to the realtime service was lost. Check "
                          "your network connection, or the region in the studio's Settings."], run.stderr
    assert sorted(p.name for p in tmp_path.glob("*.json")) == ["audio_04_16kHz.json", "audio_09_16kHz.json"], \
        run.stdout + run.stderr


@pytest.mark.usefixtures("studio_home")
@pytest.mark.parametrize("mode", ["realtime", "batch"])
async def test_the_built_in_engine_needs_no_key_or_server(shared_audio: Path, tmp_path: Path, mode: str) -> None:
    run = await studio("transcribe", shared_audio / "audio_09_16kHz.wav", "--engine", "local", "--fast",
                       "--mode", mode, "--format", "json", "--out", tmp_path, env=environment(None))
    assert run.status == 0, run.stderr
    assert_transcript(tmp_path / "audio_09_16kHz.json")


@pytest.mark.usefixtures("studio_home")
@pytest.mark.parametrize(("mode", "said"), [("realtime", "That language is not supported: "),
                                            ("batch", "The batch job was rejected: invalid_language: ")])
async def test_a_language_the_built_in_model_cannot_do(shared_audio: Path, tmp_path: Path, mode: str,
                                                       said: str) -> None:
    """The server says what the service would (it speaks for the service, never of the studio's Settings);
    the CLI adds what to do, in the studio's words."""
    wav = shared_audio / "audio_09_16kHz.wav"
    run = await studio("transcribe", wav, "--engine", "local", "--fast", "--mode", mode, "--language", "de",
                       "--format", "json", "--out", tmp_path, env=environment(None))
    assert run.status == 1
    assert run.errors == [f"studio transcribe: {wav}: {said}Whisper tiny.en transcribes English only, not German "
                          "(de). Choose English, or a multilingual Whisper model in the studio's Settings."]
    assert not list(tmp_path.glob("*.json"))


@pytest.mark.usefixtures("studio_home")
async def test_a_progress_bar_on_a_terminal(server: LocalServer, shared_audio: Path, tmp_path: Path) -> None:
    leader, follower = pty.openpty()
    try:
        reader = asyncio.create_task(asyncio.to_thread(_read_all, leader))
        run = await studio(*transcribe(server, shared_audio / "audio_06_16kHz.wav", "--fast", "--format", "json",
                                       "--out", tmp_path), stderr=follower)
        os.close(follower)
        follower = -1
        drawn = (await asyncio.wait_for(reader, 10)).decode()
    finally:
        if follower >= 0:
            os.close(follower)
        os.close(leader)
    assert run.status == 0
    assert "audio_06_16kHz.wav  [" in drawn and "%  streaming" in drawn and "/ 36.1 s" in drawn
    assert drawn.endswith("\r\x1b[K")  # the bar is cleared when the file is done
    assert run.stdout.startswith(f"{shared_audio / 'audio_06_16kHz.wav'}: wrote ")


def _read_all(fd: int) -> bytes:
    data = b""
    while True:
        try:
            piece = os.read(fd, 65536)
        except OSError:  # EIO: every writer has closed the terminal
            return data
        if not piece:
            return data
        data += piece


@pytest.mark.usefixtures("studio_home")
async def test_requests_that_cannot_be_carried_out(server: LocalServer, shared_audio: Path) -> None:
    wav = shared_audio / "audio_09_16kHz.wav"
    bad_format = await studio(*transcribe(server, wav, "--format", "json,pdf"))
    assert bad_format.status == 2 and "choose from txt,srt,vtt,json,docx" in bad_format.stderr
    both = await studio("transcribe", wav, "--engine", "local", "--url", server.urls.batch)
    assert both.status == 1 and both.errors == [
        "studio transcribe: --url is for a Speechmatics service; the built-in engine runs here."]
    no_key = await studio("transcribe", wav, "--engine", "speechmatics", env=environment(None))
    assert no_key.status == 1 and len(no_key.errors) == 1 and "keychain" in no_key.stderr
    assert "Traceback" not in bad_format.stderr + both.stderr + no_key.stderr


async def test_outputs_of_two_inputs_with_one_name_do_not_overwrite(server: LocalServer, studio_home: Paths,
                                                                   tmp_path: Path, shared_audio: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "talk.wav").write_bytes((shared_audio / "audio_09_16kHz.wav").read_bytes())
    make_mp3(second / "talk.mp3", shared_audio / "audio_03_16kHz.wav")
    out = tmp_path / "out"
    run = await studio(*transcribe(server, first / "talk.wav", second / "talk.mp3", "--fast", "--format", "json",
                                   "--out", out))
    assert run.status == 1 and run.errors == [
        f"studio transcribe: {second / 'talk.mp3'}: its outputs would overwrite those of {first / 'talk.wav'}; "
        "give it its own --out folder"]
    assert [p.name for p in out.iterdir()] == ["talk.json"]


async def test_an_interrupted_run_closes_the_built_in_engine(studio_home: Paths, tmp_path: Path,
                                                              shared_audio: Path) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = environment(None) | {"TMPDIR": str(scratch)}
    out = tmp_path / "out"
    leader, follower = pty.openpty()
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "studio", "transcribe", str(shared_audio / "audio_06_16kHz.wav"), "--engine",
            "local", "--format", "json", "--out", str(out), cwd=REPO, env=env, stdout=asyncio.subprocess.PIPE,
            stderr=follower)
        os.close(follower)
        follower = -1
        seen = b""
        async with asyncio.timeout(30):
            while b"streaming" not in seen:  # paced: 36 s of audio, so it is mid-stream now
                seen += await asyncio.to_thread(os.read, leader, 4096)
        assert engine_folders(scratch)  # the built-in engine's data folder
        process.terminate()
        seen += await asyncio.wait_for(asyncio.to_thread(_read_all, leader), 30)
        await asyncio.wait_for(process.wait(), 30)
    finally:
        if follower >= 0:
            os.close(follower)
        os.close(leader)
    assert process.returncode == 130
    assert "studio transcribe: interrupted" in seen.decode() and "Traceback" not in seen.decode()
    assert engine_folders(scratch) == [] and not out.exists()


def engine_folders(scratch: Path) -> list[str]:
    return [p.name for p in scratch.iterdir() if p.name.startswith("studio-local-")]
