"""The live text file: the captions written to a plain-text file as they come, for OBS and the like.

``LiveText(path, mode="transcript" | "captions", lines=2)``:

* ``transcript`` appends every final as it arrives (a new line, with the speaker's name, when the speaker
  changes); the file grows with the session, like a log a text source can tail.
* ``captions`` keeps the file at the last ``lines`` lines of at most ``width`` characters (42, as subtitles),
  partial words included, replaced whole (write a sibling, then rename — a reader never sees half a file)
  at most every ``interval`` seconds: what OBS's "read from file" text source shows as subtitles.

``final(speaker, text)``, ``partial(speaker, text)``, ``rename(speaker, name)``, ``close()``: ``speaker`` is the key
``studio.core.transcript.speakers.speaker_key`` gives (``Me``, ``Them/S1``, ``S1``; "" for none), shown by the
name the transcript view shows (``Them 1`` until renamed); a rename by an older bare label (``S1``) names
that label in every channel but ``Me``, as in the transcript. On the event loop;
every call costs one small write. A write that fails raises ``OSError`` (the recorder then says so and stops
writing the file; the captions and the recording go on).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import textwrap
from pathlib import Path
from typing import Literal

from studio.core.transcript.speakers import SpeakerRegistry

Mode = Literal["transcript", "captions"]
MODES = ("transcript", "captions")


class LiveText:
    def __init__(self, path: str | Path, mode: Mode = "transcript", *, lines: int = 2, width: int = 42,
                 interval: float = 0.2) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown live text mode {mode!r}")
        self.path = Path(path)
        self.mode = mode
        self.lines = max(1, lines)
        self.width = max(10, width)
        self.interval = interval
        self._speakers = SpeakerRegistry()  # names as the transcript view shows them
        self._speaker: str | None = None
        self._done: list[tuple[str, str]] = []  # (speaker, text) lines, captions mode
        self._partial: tuple[str, str] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd: int | None = None
        if mode == "transcript":
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        else:
            self._write_captions()

    def _name(self, speaker: str) -> str:
        return self._speakers.display(speaker)

    def final(self, speaker: str, text: str) -> None:
        text = text.strip()
        if not text:
            return
        if speaker:
            self._speakers.get(speaker)  # known, so that a rename by its bare label finds it
        if self.mode == "transcript":
            assert self._fd is not None
            if speaker != self._speaker:
                lead = "\n" if self._speaker is not None else ""
                chunk = f"{lead}{self._name(speaker)}: {text}" if speaker else f"{lead}{text}"
            else:
                chunk = " " + text if text[0] not in ".,;:!?" else text
            self._speaker = speaker
            os.write(self._fd, chunk.encode())
            return
        if self._done and self._done[-1][0] == speaker:
            joined = _join(self._done[-1][1], text)
            keep = 2 * self.lines * self.width  # a day-long paragraph is not wrapped again and again
            if len(joined) > keep:
                joined = joined[-keep:].partition(" ")[2] or joined[-keep:]
            self._done[-1] = (speaker, joined)
        else:
            self._done.append((speaker, text))
        self._done = self._done[-self.lines:]
        self._partial = None
        self._schedule()

    def partial(self, speaker: str, text: str) -> None:
        if self.mode != "captions":
            return
        self._partial = (speaker, text.strip()) if text.strip() else None
        self._schedule()

    def rename(self, speaker: str, name: str) -> None:
        if speaker:
            self._speakers.rename(speaker, name)
        if self.mode == "captions":
            self._schedule()

    def _schedule(self) -> None:
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.interval, self._flush_timer)

    def _flush_timer(self) -> None:
        self._timer = None
        with contextlib.suppress(OSError):  # the next change tries again; close() reports a lasting failure
            self._write_captions()

    def _write_captions(self) -> None:
        rows = list(self._done)
        if self._partial is not None:
            speaker, text = self._partial
            if rows and rows[-1][0] == speaker:
                rows[-1] = (speaker, _join(rows[-1][1], text))
            else:
                rows.append((speaker, text))
        wrapped: list[str] = []
        for speaker, text in rows[-self.lines:]:
            wrapped += textwrap.wrap(f"{self._name(speaker)}: {text}" if speaker else text, self.width) or [""]
        body = "\n".join(wrapped[-self.lines:])
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        tmp.write_text(body + ("\n" if body else ""), encoding="utf-8")
        os.replace(tmp, self.path)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        try:
            if self.mode == "captions":
                self._partial = None
                self._write_captions()
            elif self._fd is not None and self._speaker is not None:
                os.write(self._fd, b"\n")
        finally:
            fd, self._fd = self._fd, None
            if fd is not None:
                os.close(fd)


def _join(left: str, right: str) -> str:
    if not left:
        return right
    return left + right if right[:1] in ".,;:!?" else f"{left} {right}"
