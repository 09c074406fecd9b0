"""Live recognition with Whisper through the real realtime protocol: the studio's RealtimeClient against the
local server with the built-in engine, fed real speech."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from studio.api.config import AudioFormat, TranscriptionConfig, TranslationConfig
from studio.api.errors import RealtimeError
from studio.api.messages import EndOfUtterance, ServerMessage, ServerWarning, Transcript
from studio.api.realtime import RealtimeSession
from studio.local.whisper_results import normalise
from studio.services.connections import Connection
from tests.helpers.wav import read_wav
from tests.helpers.wer import word_error_rate

AUDIO_08 = "Hello. Goodbye. Banana. Breakaway. Before. After."
AUDIO_09 = "How are you getting on, buddy?"
FRAME = 0.1  # seconds of audio per message


async def send(session: RealtimeSession, pcm: bytes, rate: int, *, pace: float | None = 1.0,
               width: int = 2) -> float:
    """Sends ``pcm`` in 100 ms frames, ``pace`` times real time (None: as fast as acknowledgements allow);
    returns the loop time at which sending started."""
    loop = asyncio.get_running_loop()
    step = int(rate * FRAME) * width
    started = loop.time()
    for index, offset in enumerate(range(0, len(pcm), step)):
        if pace is not None:
            delay = started + index * FRAME / pace - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)  # the audio's own pace, as a microphone delivers it
        await session.send_audio(pcm[offset:offset + step])
    return started


def words_of(message: Transcript) -> list[str]:
    return [normalise(r.alternatives[0].content) for r in message.results if r.type == "word"]


def final_text(messages: list[ServerMessage], channel: str | None = None) -> str:
    return " ".join(" ".join(words_of(m)) for m in messages
                    if isinstance(m, Transcript) and not m.partial and m.channel == channel)


async def test_streaming_gives_partials_then_finals_and_end_of_utterance_between_utterances(
        connection: Connection, shared_audio: Path) -> None:
    pcm, rate = read_wav(shared_audio / "audio_08_16kHz.wav")
    config = TranscriptionConfig(language="en", enable_partials=True, end_of_utterance_silence_trigger=0.7)
    messages: list[ServerMessage] = []
    session = await connection.realtime().start(AudioFormat("pcm_s16le", rate), config)
    session.add_listener(messages.append)
    await send(session, pcm, rate)
    await session.end(timeout=30)

    assert word_error_rate(AUDIO_08, final_text(messages)) <= 0.34, final_text(messages)
    transcripts = [m for m in messages if isinstance(m, Transcript)]
    assert all(m.format == "2.9" for m in transcripts)
    # Every final word was on screen as a partial first (the words are half a second or more long).
    finals = [(index, word) for index, m in enumerate(messages) if isinstance(m, Transcript) and not m.partial
              for word in words_of(m)]
    shown_first = [word for index, word in finals
                   if any(isinstance(m, Transcript) and m.partial and word in words_of(m) for m in messages[:index])]
    assert len(shown_first) >= len(finals) - 1 and len(finals) >= 6, (shown_first, finals)
    # The six words are separated by about 1.5 s of silence: an EndOfUtterance after each, never two for one
    # silence, each after the final of its utterance.
    kinds = ["F" if isinstance(m, Transcript) and not m.partial and words_of(m) else "E"
             for m in messages if isinstance(m, EndOfUtterance) or (isinstance(m, Transcript) and not m.partial
             and words_of(m))]
    assert kinds.count("E") >= 5 and "EE" not in "".join(kinds) and kinds[0] == "F", kinds
    markers = [m for m in messages if isinstance(m, EndOfUtterance)]
    assert [m.end_time for m in markers] == sorted(m.end_time for m in markers)
    assert all(m.start_time == m.end_time and not m.forced for m in markers)
    # Results are in stream time, in order, inside the audio.
    times = [r.start_time for m in transcripts if not m.partial for r in m.results]
    assert times == sorted(times) and times[0] >= 0.0 and times[-1] <= len(pcm) / 2 / rate
    # After every final a partial with what is not final yet follows (here, at the ends of utterances, nothing).
    for index, message in enumerate(messages[:-1]):
        if isinstance(message, Transcript) and not message.partial:
            after = messages[index + 1]
            assert isinstance(after, Transcript) and after.partial


async def test_other_encodings_and_rates_are_resampled(connection: Connection, shared_audio: Path) -> None:
    import av

    pcm, rate = read_wav(shared_audio / "audio_09_16kHz.wav")
    frame = av.AudioFrame.from_ndarray(np.frombuffer(pcm, dtype="<i2")[None, :], format="s16", layout="mono")
    frame.sample_rate = rate
    resampler = av.AudioResampler(format="flt", layout="mono", rate=44100)
    converted = [f.to_ndarray()[0] for f in [*resampler.resample(frame), *resampler.resample(None)]]
    floats = np.concatenate(converted).astype("<f4").tobytes()
    messages: list[ServerMessage] = []
    session = await connection.realtime().start(AudioFormat("pcm_f32le", 44100), TranscriptionConfig(language="en"))
    session.add_listener(messages.append)
    # Cut 100 ms frames one byte short, so that samples are split between messages.
    for offset in range(0, len(floats), 17639):
        await session.send_audio(floats[offset:offset + 17639])
    await session.end(timeout=30)
    assert word_error_rate(AUDIO_09, final_text(messages)) <= 0.34, final_text(messages)
    words = [r for m in messages if isinstance(m, Transcript) for r in m.results if r.type == "word"]
    assert words[0].start_time >= 0.4 and words[-1].end_time <= 2.2  # speech is at 0.74-1.70 s


async def test_channels_are_recognised_and_labelled_separately(connection: Connection,
                                                               shared_audio: Path) -> None:
    mic, rate = read_wav(shared_audio / "audio_09_16kHz.wav")
    system, _ = read_wav(shared_audio / "audio_08_16kHz.wav")
    system = system[: rate * 2 * 5]  # "Hello. Goodbye. Banana."
    config = TranscriptionConfig(language="en", diarization="channel", channel_diarization_labels=("mic", "system"))
    messages: list[ServerMessage] = []
    session = await connection.realtime().start(AudioFormat("pcm_s16le", rate), config)
    session.add_listener(messages.append)
    step = int(rate * FRAME) * 2
    for offset in range(0, max(len(mic), len(system)), step):
        for channel, pcm in (("mic", mic), ("system", system)):
            if offset < len(pcm):
                await session.send_channel_audio(channel, pcm[offset:offset + step])
    await session.end(timeout=30)
    assert word_error_rate(AUDIO_09, final_text(messages, "mic")) <= 0.34, final_text(messages, "mic")
    assert word_error_rate("Hello. Goodbye. Banana.", final_text(messages, "system")) <= 0.34
    assert {m.channel for m in messages if isinstance(m, Transcript)} == {"mic", "system"}


async def test_force_end_of_utterance_finalises_at_once(connection: Connection, shared_audio: Path) -> None:
    pcm, rate = read_wav(shared_audio / "audio_09_16kHz.wav")
    messages: list[ServerMessage] = []
    config = TranscriptionConfig(language="en", enable_partials=True)
    session = await connection.realtime().start(AudioFormat("pcm_s16le", rate), config)
    session.add_listener(messages.append)
    await send(session, pcm[: int(rate * 1.8) * 2], rate, pace=None)  # speech ends at 1.70 s: no silence yet
    await session.force_end_of_utterance()
    await session.end(timeout=30)
    forced = [m for m in messages if isinstance(m, Transcript) and m.forced]
    assert len(forced) == 1 and word_error_rate(AUDIO_09, " ".join(words_of(forced[0]))) <= 0.34
    marker = next(m for m in messages if isinstance(m, EndOfUtterance))
    assert marker.forced and marker.end_time == pytest.approx(1.8, abs=0.05)
    assert messages.index(marker) > messages.index(forced[0])


async def test_a_language_the_model_cannot_do_is_an_error(connection: Connection) -> None:
    with pytest.raises(RealtimeError) as failure:
        await connection.realtime().start(AudioFormat("pcm_s16le", 16000), TranscriptionConfig(language="de"))
    assert failure.value.type == "invalid_language"
    assert "English only" in failure.value.reason and "German" in failure.value.reason
    assert "Settings" not in failure.value.reason  # the server speaks for the service


async def test_what_the_engine_cannot_do_is_warned_about(connection: Connection, shared_audio: Path) -> None:
    pcm, rate = read_wav(shared_audio / "audio_09_16kHz.wav")
    config = TranscriptionConfig(language="en", diarization="speaker")
    session = await connection.realtime().start(AudioFormat("pcm_s16le", rate), config,
                                                translation_config=TranslationConfig(("de", "fr")))
    await send(session, pcm, rate, pace=None)
    await session.end(timeout=30)
    messages = [m async for m in session]
    warnings = [m for m in messages if isinstance(m, ServerWarning)]
    pairs = [w for w in warnings if w.type == "unsupported_translation_pair"]
    assert len(pairs) == 2 and "en to de" in pairs[0].reason and "en to fr" in pairs[1].reason
    assert any("speakers" in w.reason for w in warnings if w.type == "validation_warning")
    words = [r for m in messages if isinstance(m, Transcript) for r in m.results]
    assert words and all(r.alternatives[0].speaker == "UU" for r in words)
    assert word_error_rate(AUDIO_09, final_text(messages)) <= 0.34
