"""Text to speech with eSpeak NG, behind the local server's TTS endpoint (``studio.local.engines.Synthesizer``).

The library comes from the ``espeakng-loader`` wheel (libespeak-ng and its data, no system package needed)
or, failing that, a system ``libespeak-ng`` (Debian's ``espeak-ng``); it is loaded with ctypes once per
process. eSpeak synthesises at 22 050 Hz in 50 ms pieces, a few hundred times faster than real time; each
piece is resampled to 16 kHz (PyAV) and handed to the server as it is made, so the first audio leaves within
milliseconds. A synthesis runs in a worker thread (the library is not re-entrant: one at a time) and stays at
most ``AHEAD_CHUNKS`` pieces ahead of the listener, so a long text does not pile up in memory; a listener
that goes away stops it.

Voices: the four Speechmatics names are mapped to distinct eSpeak voices (``VOICE_MAP``: UK and US English,
female and male variants), and every eSpeak voice is also offered under its own language name (``en-gb``,
``fr-fr``, ``de``…).
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
import tempfile
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any

import numpy as np

from studio.local.engines import PreparedSpeech

log = logging.getLogger(__name__)

OUTPUT_RATE = 16000
AHEAD_CHUNKS = 40  # 2 s of audio
BUFFER_MS = 50
SPOOL_BYTES = 32 * 1024**2  # eSpeak's output for ``prepare`` stays in memory up to this size (12 min), then on disk
RESAMPLE_BLOCK = 16384  # samples at eSpeak's rate resampled at a time when a prepared text is streamed
_SYNCHRONOUS = 2  # AUDIO_OUTPUT_SYNCHRONOUS
_DONT_EXIT = 0x8000  # espeakINITIALIZE_DONT_EXIT
_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_RATE = 1  # espeakRATE
RANDOM_SEED = 1  # eSpeak's noise generator, before each text

#: The Speechmatics voices (``studio.api.tts.VOICES``) as eSpeak voice identifiers with a variant.
VOICE_MAP = {
    "sarah": "gmw/en+f2",  # English female (UK)
    "theo": "gmw/en-GB-x-rp+m3",  # English male (UK)
    "megan": "gmw/en-US+f5",  # English female (US)
    "jack": "gmw/en-US+m3",  # English male (US)
}
#: What to ask for when a library has no voice by that identifier (an older espeak-ng).
_FALLBACK = {"sarah": "en-gb+f2", "theo": "en-gb+m3", "megan": "en-us+f5", "jack": "en-us+m3"}

_Callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class _Voice(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("languages", ctypes.c_void_p), ("identifier", ctypes.c_char_p),
                ("gender", ctypes.c_ubyte), ("age", ctypes.c_ubyte), ("variant", ctypes.c_ubyte),
                ("xx1", ctypes.c_ubyte), ("score", ctypes.c_int), ("spare", ctypes.c_void_p)]


@dataclass(frozen=True)
class EspeakVoice:
    identifier: str  # "gmw/en-US"
    name: str  # "English (America)"
    languages: tuple[str, ...]  # ("en-us", "en")


class EspeakUnavailableError(RuntimeError):
    pass


def _find_library() -> tuple[str, str | None]:
    """The library and its data directory: the wheel's, else the system's (its own default data)."""
    try:
        import espeakng_loader

        return str(espeakng_loader.get_library_path()), str(espeakng_loader.get_data_path())
    except (ImportError, RuntimeError):
        pass
    found = ctypes.util.find_library("espeak-ng")
    if found is None:
        raise EspeakUnavailableError("eSpeak NG is not installed (pip install espeakng-loader, or apt-get install "
                                     "espeak-ng)")
    return found, None


class EspeakLibrary:
    """libespeak-ng, loaded once per process (``EspeakLibrary.shared()``); every call holds ``lock``."""

    _shared: EspeakLibrary | None = None
    _shared_lock = threading.Lock()

    def __init__(self) -> None:
        path, data = _find_library()
        self.lock = threading.Lock()
        lib = ctypes.CDLL(path)
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
        lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetSynthCallback.argtypes = [_Callback]
        lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                     ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        lib.espeak_Synth.restype = ctypes.c_int
        self.sample_rate = lib.espeak_Initialize(_SYNCHRONOUS, BUFFER_MS, data.encode() if data else None,
                                                 _DONT_EXIT)
        if self.sample_rate <= 0:
            raise EspeakUnavailableError(f"eSpeak NG did not start (data in {data or 'its default place'})")
        self._lib = lib
        # eSpeak's breath noise comes from a generator of its own, seeded differently in every process unless
        # told; a fixed seed before each text makes a process's first rendition of a text always the same
        # (its pitch flutter still carries on from one text to the next). Older libraries lack the call.
        self._seed: Callable[[int], Any] | None = getattr(lib, "espeak_ng_SetRandSeed", None)
        if self._seed is not None:
            self._seed.argtypes = [ctypes.c_long]
        self._sink: Callable[[np.ndarray], bool] | None = None
        self._callback = _Callback(self._on_audio)  # kept alive as long as the library
        lib.espeak_SetSynthCallback(self._callback)
        self.voices = self._list_voices()
        log.info("eSpeak NG from %s: %d voices at %d Hz", path, len(self.voices), self.sample_rate)

    @classmethod
    def shared(cls) -> EspeakLibrary:
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    def _list_voices(self) -> list[EspeakVoice]:
        listed = self._lib.espeak_ListVoices(None)
        voices = []
        index = 0
        while listed[index]:
            voice = listed[index].contents
            languages = []
            address = voice.languages
            while address and ctypes.c_ubyte.from_address(address).value:  # priority byte, then the name
                language = ctypes.string_at(address + 1)
                languages.append(language.decode("utf-8", "replace").lower())
                address += len(language) + 2
            voices.append(EspeakVoice((voice.identifier or b"").decode("utf-8", "replace"),
                                      (voice.name or b"").decode("utf-8", "replace"), tuple(languages)))
            index += 1
        return voices

    def _on_audio(self, samples: Any, count: int, _events: Any) -> int:
        if count <= 0 or self._sink is None:
            return 0
        keep_going = self._sink(np.ctypeslib.as_array(samples, shape=(count,)).copy())
        return 0 if keep_going else 1

    def synthesize(self, text: str, voice: str, sink: Callable[[np.ndarray], bool],
                   fallback: str | None = None) -> None:
        """Speaks ``text`` with ``voice`` (an identifier, ``+variant`` allowed), passing 22 050 Hz int16 pieces
        to ``sink`` as they are made; ``sink`` returns False to stop. Blocking."""
        with self.lock:
            if self._lib.espeak_SetVoiceByName(voice.encode()) != 0 and (
                    fallback is None or self._lib.espeak_SetVoiceByName(fallback.encode()) != 0):
                raise EspeakUnavailableError(f"eSpeak NG has no voice {voice!r}")
            encoded = text.encode("utf-8")
            if self._seed is not None:
                self._seed(RANDOM_SEED)
            self._sink = sink
            try:
                status = self._lib.espeak_Synth(encoded, len(encoded) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8,
                                                None, None)
            finally:
                self._sink = None
            if status not in (0, 1):  # EE_OK; EE_BUFFER_FULL cannot happen in synchronous mode
                raise EspeakUnavailableError(f"eSpeak NG failed to speak (error {status})")


def local_voice_names(voices: Sequence[EspeakVoice]) -> dict[str, str]:
    """Each eSpeak voice under its first language name (``en-gb-x-rp``), mapped to its identifier."""
    names: dict[str, str] = {}
    for voice in voices:
        if not voice.languages or voice.identifier.startswith("mb/"):
            continue
        name = voice.languages[0]
        if name not in names and name not in VOICE_MAP and all(c.isalnum() or c in "-_" for c in name):
            names[name] = voice.identifier
    return names


class EspeakSynthesizer:
    """The built-in engine's voices."""

    def __init__(self, library: EspeakLibrary | None = None) -> None:
        self._library = library or EspeakLibrary.shared()
        self._local = local_voice_names(self._library.voices)

    def voices(self) -> Sequence[str]:
        return [*VOICE_MAP, *sorted(self._local)]

    def identifier(self, voice: str) -> str:
        """The eSpeak voice behind a voice name."""
        return VOICE_MAP.get(voice) or self._local[voice]

    async def prepare(self, text: str, voice: str) -> PreparedSpeech:
        """The whole text synthesised first, at eSpeak's own rate, and resampled only as it is streamed: the
        length (what a WAV header must say before its first sample) is then known at the cost of eSpeak alone,
        about a millisecond per second of speech, instead of the whole pipeline's."""
        library = self._library
        identifier = self.identifier(voice)
        stop = threading.Event()
        spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - closed by chunks

        def sink(samples: np.ndarray) -> bool:
            if stop.is_set():
                return False
            try:
                spool.write(samples.astype("<i2").tobytes())
            except ValueError:  # closed: the listener went away
                return False
            return True

        try:
            await asyncio.to_thread(library.synthesize, text, identifier, sink, _FALLBACK.get(voice))
        except BaseException:
            stop.set()  # a listener that went away stops eSpeak at its next piece
            spool.close()
            raise
        count = spool.tell() // 2
        spool.seek(0)
        samples = round(count * OUTPUT_RATE / library.sample_rate)
        return PreparedSpeech(samples, _resampled(spool, library.sample_rate, samples))

    async def synthesize(self, text: str, voice: str) -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[bytes | BaseException | None] = asyncio.Queue()
        room = threading.Semaphore(AHEAD_CHUNKS)
        stop = threading.Event()
        library = self._library
        identifier = self.identifier(voice)

        def work() -> None:
            import av

            resampler = av.AudioResampler(format="s16", layout="mono", rate=OUTPUT_RATE)

            def deliver(frames: list[Any]) -> bool:
                pcm = b"".join(frame.to_ndarray().tobytes() for frame in frames)
                if not pcm:
                    return True
                while not room.acquire(timeout=0.1):
                    if stop.is_set():
                        return False
                if stop.is_set():
                    return False
                loop.call_soon_threadsafe(queue.put_nowait, pcm)
                return True

            def sink(samples: np.ndarray) -> bool:
                if stop.is_set():
                    return False
                frame = av.AudioFrame.from_ndarray(samples[None, :].astype("<i2"), format="s16", layout="mono")
                frame.sample_rate = library.sample_rate
                return deliver(resampler.resample(frame))

            try:
                library.synthesize(text, identifier, sink, _FALLBACK.get(voice))
                if not stop.is_set():
                    deliver(resampler.resample(None))
            except BaseException as exc:  # reported to the listener, not lost in the thread
                loop.call_soon_threadsafe(queue.put_nowait, exc)
            finally:
                loop.call_soon_threadsafe(queue.put_nowait, None)

        worker = loop.run_in_executor(None, work)
        try:
            while True:
                item = await queue.get()
                if item is None:
                    break
                if isinstance(item, BaseException):
                    raise item
                room.release()
                yield item
        finally:
            stop.set()
            await asyncio.shield(worker)


async def _resampled(spool: IO[bytes], rate: int, samples: int) -> AsyncIterator[bytes]:
    """eSpeak's samples from ``spool`` at 16 kHz (libsoxr, streaming), exactly ``samples`` of them; closes it."""
    import soxr

    resampler = soxr.ResampleStream(rate, OUTPUT_RATE, 1, dtype="int16")
    left = samples
    try:
        while left > 0:
            raw = spool.read(RESAMPLE_BLOCK * 2)
            block = np.frombuffer(raw, dtype="<i2")
            out = resampler.resample_chunk(block, last=not raw)
            if not raw:  # the resampler's tail; then silence for the odd sample the rounding still owes
                out = np.concatenate([out, np.zeros(max(0, left - len(out)), dtype=np.int16)])
            out = out[:left]
            left -= len(out)
            if len(out):
                yield out.astype("<i2").tobytes()
            await asyncio.sleep(0)
    finally:
        spool.close()
