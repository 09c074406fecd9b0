"""``additional_vocab`` for the built-in engine: words Whisper heard, spelt as the vocabulary spells them.

Whisper's own means of steering (a prompt of "hotwords") makes a small model say the words of the prompt
whether or not they were spoken ("Banana Banana"), so the engine never prompts with the vocabulary. It
corrects what was heard instead: a run of one to three words whose letters, run together, are those of an
entry (or of one of its ``sounds_like`` spellings) — ``Break away`` for ``Breakaway``, ``nyoki`` for
``{"content": "gnocchi", "sounds_like": ["nyoki"]}`` — or a single word that is a near spelling of a one-word
entry, becomes that entry. Nothing is ever added: the result has at most as many words as were heard.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from studio.local.whisper_model import Word

MAX_RUN = 3
NEAR = 0.84  # difflib ratio for a near spelling of a one-word entry
_TRAILING = re.compile(r"[\"”)\]},，.。!！?？:：;、…]+$")


def letters(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


@dataclass(frozen=True)
class Entry:
    content: str
    keys: frozenset[str]  # the letters of the content and of each sounds_like spelling


class Vocabulary:
    def __init__(self, entries: Sequence[Entry]) -> None:
        self.entries = list(entries)
        self._by_key = {key: entry for entry in self.entries for key in entry.keys}
        self._single = [entry for entry in self.entries if " " not in entry.content.strip()]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Vocabulary | None:
        entries = []
        for item in config.get("additional_vocab") or ():
            content = str(item.get("content") if isinstance(item, Mapping) else item).strip()
            sounds = item.get("sounds_like") or [] if isinstance(item, Mapping) else []
            keys = {letters(content), *(letters(str(s)) for s in sounds)} - {""}
            if content and keys:
                entries.append(Entry(content, frozenset(keys)))
        return cls(entries) if entries else None

    def apply(self, words: Sequence[Word]) -> list[Word]:
        out: list[Word] = []
        index = 0
        while index < len(words):
            for size in range(min(MAX_RUN, len(words) - index), 0, -1):
                run = words[index:index + size]
                if size > 1 and any(_TRAILING.search(w.text.strip()) for w in run[:-1]):
                    continue  # a sentence or clause ends inside the run: not one word
                entry = self._by_key.get(letters("".join(w.text for w in run)))
                if entry is None and size == 1:
                    entry = self._near(run[0])
                if entry is not None:
                    out.append(_respelt(run, entry.content))
                    index += size
                    break
            else:
                out.append(words[index])
                index += 1
        return out

    def _near(self, word: Word) -> Entry | None:
        heard = letters(word.text)
        if len(heard) < 4:
            return None
        best, score = None, NEAR
        for entry in self._single:
            for key in entry.keys:
                ratio = difflib.SequenceMatcher(None, heard, key).ratio()
                if ratio >= score and key[:1] == heard[:1]:
                    best, score = entry, ratio
        return best


def _respelt(run: Sequence[Word], content: str) -> Word:
    first, last = run[0], run[-1]
    space = " " if first.text.startswith(" ") else ""
    trailing = _TRAILING.search(last.text.strip())
    text = space + content + (trailing.group(0) if trailing else "")
    return Word(text, first.start, max(w.end for w in run), min(w.probability for w in run))
