"""``studio speak``: text to speech from the command line, saved to a file and/or played as it arrives.

Public API::

    status = await run_speak(SpeakRequest("Hello there", voice="sarah", out=Path("hello.wav")),
                             env=os.environ, redactor=redactor, stdout=sys.stdout, stderr=sys.stderr)

The engine is ``local`` (the built-in eSpeak NG voices, on a loopback server for the command's duration —
no Whisper model is loaded), ``speechmatics`` (the API key from ``SPEECHMATICS_API_KEY`` or the keychain;
``url`` or the settings' region), or ``None`` for what the settings choose (``auto``: Speechmatics when a
key is set). The audio is asked for as ``pcm_16000``, which every engine streams as it is made, and
written as it arrives — a WAV gets its header first and its real sizes at the end — to a temporary name
that becomes ``out`` only once the audio is whole, so a failure never leaves half a file. With ``play``
the same audio plays on the default output device (or ``device``) as it arrives.

Returns 0 on success, 1 when the engine failed (one line on stderr), 2 when the request cannot be made.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TextIO, cast

import numpy as np

from studio.api.errors import ApiError, ConfigurationError, HttpError
from studio.api.tts import SAMPLE_RATE, OutputFormat, patch_wav_sizes
from studio.core.redaction import Redactor
from studio.core.settings import EngineChoice
from studio.services.connections import Connection
from studio.services.transcribe_target import Target, load_settings, open_target
from studio.services.voices.catalogue import builtin_catalogue
from studio.services.voices.clip import BUILTIN, PREVIEW_FORMAT, PreviewRequest, VoiceUnavailableError, check_request
from studio.services.voices.preview import unknown_voice

if TYPE_CHECKING:
    from studio.audio.playback import Player
    from studio.storage.secrets import SecretStore

log = logging.getLogger(__name__)

PROG = "studio speak"
FORMAT_ALIASES: dict[str, OutputFormat] = {"wav": "wav_16000", "wav_16000": "wav_16000", "pcm": "pcm_16000",
                                           "pcm_16000": "pcm_16000", "raw": "pcm_16000"}


@dataclass(frozen=True)
class SpeakRequest:
    text: str
    voice: str = "sarah"
    out: Path | None = None
    output_format: OutputFormat | None = None  # None: from the file name (.pcm/.raw: pcm_16000), else wav_16000
    engine: str | None = None  # "local", "speechmatics", or None for the settings' choice
    url: str | None = None
    play: bool = False
    device: str | None = None  # an output device name for ``play``; None: the default


def output_format_for(request: SpeakRequest) -> OutputFormat:
    if request.output_format is not None:
        return request.output_format
    if request.out is not None and request.out.suffix.lower() in (".pcm", ".raw"):
        return "pcm_16000"
    return "wav_16000"


# -- the engine ---------------------------------------------------------------------------------------------

@contextlib.asynccontextmanager
async def _builtin_voices() -> AsyncIterator[Target]:
    """The built-in engine's voices on a loopback port for the duration (its recogniser is never used)."""
    from studio.local.engine import make_synthesizer
    from studio.local.scripted import ScriptedRecognizer
    from studio.local.server import LocalServer, ServerConfig

    synthesizer = await asyncio.to_thread(make_synthesizer)
    recognizer = ScriptedRecognizer()
    server = LocalServer(config=ServerConfig(require_auth=False), recognizer=recognizer,
                         batch_recognizer=recognizer, synthesizer=synthesizer)
    try:
        urls = await server.start("127.0.0.1", 0)
    except OSError as exc:
        await server.stop()
        raise ConfigurationError(f"The built-in engine could not start ({exc.strerror or exc})") from None
    try:
        yield Target(Connection(urls), "the built-in engine")
    finally:
        await server.stop()


async def _choose_engine(request: SpeakRequest, env: Mapping[str, str], redactor: Redactor,
                         secrets: SecretStore | None) -> str:
    if request.engine is not None:
        return request.engine
    if request.url:
        return "speechmatics"
    settings = load_settings(env)
    if settings.engine is EngineChoice.LOCAL:
        return "local"
    if settings.engine is EngineChoice.SPEECHMATICS:
        return "speechmatics"
    from studio.services.credentials import Credentials
    from studio.storage.secrets import KeyringSecretStore, SecretStoreError

    try:
        key = await Credentials(secrets if secrets is not None else KeyringSecretStore(), env, redactor).api_key()
    except SecretStoreError as exc:
        log.info("no API key from the keychain (%s); using the built-in engine", exc)
        key = None
    return "speechmatics" if key else "local"


@contextlib.asynccontextmanager
async def _target(engine: str, request: SpeakRequest, env: Mapping[str, str], redactor: Redactor,
                  secrets: SecretStore | None) -> AsyncIterator[Target]:
    if engine == "local":
        if request.url:
            raise ConfigurationError("--url is for a Speechmatics service; the built-in engine runs here")
        async with _builtin_voices() as target:
            yield target
    else:
        async with open_target("speechmatics", request.url, env=env, redactor=redactor, secrets=secrets) as target:
            yield target


# -- the output ---------------------------------------------------------------------------------------------

class _Output:
    """The audio as it arrives, into a temporary file beside ``path`` that replaces it once whole."""

    def __init__(self, path: Path, output_format: OutputFormat) -> None:
        self.path = path
        self.output_format = output_format
        self.tmp = path.with_name(f".{path.name}.partial")
        self._file: BinaryIO | None = None
        self.bytes = 0

    def open(self) -> None:
        from studio.services.voices.export import encode

        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.tmp.open("wb")
        if self.output_format == "wav_16000":  # a header for no samples; the real sizes are patched in at the end
            self._file.write(encode(np.zeros(0, dtype=np.int16), "wav_16000"))

    def write(self, pcm: bytes) -> None:
        assert self._file is not None
        self._file.write(pcm)
        self.bytes += len(pcm)

    def commit(self) -> None:
        assert self._file is not None
        self._file.close()
        self._file = None
        if self.output_format == "wav_16000":
            patch_wav_sizes(self.tmp)
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self.tmp.unlink(missing_ok=True)


async def _wait_played(player: Player) -> None:
    from studio.audio.playback import PlayState

    while player.state in (PlayState.WAITING, PlayState.PLAYING):
        await asyncio.sleep(0.05)


# -- the command --------------------------------------------------------------------------------------------

async def run_speak(request: SpeakRequest, *, env: Mapping[str, str], redactor: Redactor, stdout: TextIO,
                    stderr: TextIO, secrets: SecretStore | None = None) -> int:
    if not request.text.strip():
        print(f"{PROG}: there is no text to speak (give it as an argument, with --file, or on standard input)",
              file=stderr)
        return 2
    if request.out is None and not request.play:
        print(f"{PROG}: say where the audio goes: --out FILE, --play, or both", file=stderr)
        return 2
    output = _Output(request.out, output_format_for(request)) if request.out is not None else None
    player: Player | None = None
    try:
        engine = await _choose_engine(request, env, redactor, secrets)
        async with _target(engine, request, env, redactor, secrets) as target:
            engine_id = BUILTIN if engine == "local" else target.connection.endpoints.tts
            check_request(PreviewRequest(request.text, request.voice, engine_id),
                          builtin_catalogue() if engine == "local" else None)
            if request.play:
                from studio.audio.playback import Player

                player = Player(request.device)
            duration = await _speak(target.connection, request, engine_id, output, player)
            if player is not None:
                await _wait_played(player)
                if player.error:
                    raise ConfigurationError(player.error)
    except ConfigurationError as exc:
        return _failed(output, f"{exc}", stderr, 2)
    except ApiError as exc:
        return _failed(output, " ".join(str(exc).split()), stderr, 1)
    except OSError as exc:
        return _failed(output, f"{request.out} cannot be written ({exc.strerror or exc})", stderr, 1)
    except BaseException:
        if output is not None:
            output.discard()
        raise
    finally:
        if player is not None:
            player.close()
    spoken = f"{duration:.1f} s, {request.voice} on {target.label}"
    if output is not None:
        print(f"{PROG}: wrote {request.out} ({spoken})", file=stdout)
    else:
        print(f"{PROG}: played {spoken}", file=stdout)
    return 0


def _failed(output: _Output | None, reason: str, stderr: TextIO, status: int) -> int:
    if output is not None:
        output.discard()
    print(f"{PROG}: {reason}", file=stderr)
    return status


async def _speak(connection: Connection, request: SpeakRequest, engine_id: str, output: _Output | None,
                 player: Player | None) -> float:
    """Streams the audio into ``output`` and ``player``; returns its length in seconds."""
    from studio.audio.playback import PcmBuffer

    buffer = PcmBuffer(SAMPLE_RATE)
    if player is not None:
        player.play(buffer)
    if output is not None:
        await asyncio.to_thread(output.open)
    async with connection.tts() as tts:
        body = cast(AsyncGenerator[bytes, None],
                    tts.stream(request.text, voice=request.voice, output_format=PREVIEW_FORMAT))
        try:
            async for chunk in body:
                if output is not None:
                    output.write(chunk)
                buffer.append(chunk)
        except HttpError as exc:
            if unknown_voice(exc):
                raise VoiceUnavailableError(request.voice, engine_id) from None
            raise
        finally:
            await body.aclose()
            buffer.finish()
    if buffer.frames == 0:
        raise ConfigurationError("The engine sent no audio for this text")
    if output is not None:
        await asyncio.to_thread(output.commit)
    return buffer.duration
