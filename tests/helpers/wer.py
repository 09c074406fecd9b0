"""Word error rate for tests and benchmarks: case, punctuation and compound spelling do not count as errors."""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def words(text: str) -> list[str]:
    """Lower-case words without punctuation ("Break-away," -> ["break", "away"])."""
    return _WORD.findall(text.lower())


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words; a word written as two ("break away" for
    "breakaway", "good bye" for "goodbye") or two written as one count as a match."""
    ref, hyp = words(reference), words(hypothesis)
    if not ref:
        return float(bool(hyp))
    inf = len(ref) + len(hyp) + 1
    d = [[inf] * (len(hyp) + 1) for _ in range(len(ref) + 1)]
    for i in range(len(ref) + 1):
        for j in range(len(hyp) + 1):
            if i == 0 or j == 0:
                d[i][j] = i + j
                continue
            best = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1]))
            if j >= 2 and ref[i - 1] == hyp[j - 2] + hyp[j - 1]:
                best = min(best, d[i - 1][j - 2])
            if i >= 2 and ref[i - 2] + ref[i - 1] == hyp[j - 1]:
                best = min(best, d[i - 2][j - 1])
            d[i][j] = best
    return d[len(ref)][len(hyp)] / len(ref)
