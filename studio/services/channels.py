"""Channel labels for channel diarization: the one helper every part of the studio makes them with.

    channel_labels(2, "batch")       # ("Channel_1", "Channel_2")
    channel_labels(2, "realtime")    # ("Channel 1", "Channel 2")

The batch API allows only ``^[A-Za-z0-9._]+$`` in a ``channel_diarization_labels`` entry
(``speechmatics-protocol.md`` §2.4) and refuses the job otherwise, so batch labels join their words with ``_``;
realtime labels have no such pattern and read as words (the Live workspace names its sources ``Me`` and
``Them``). ``tests/local/test_channel_labels.py`` checks these against the local server's pattern
(``studio.local.batch.CHANNEL_LABEL``).
"""

from __future__ import annotations

from typing import Literal

LabelMode = Literal["realtime", "batch"]


def channel_labels(count: int, mode: LabelMode) -> tuple[str, ...]:
    """The labels of ``count`` channels (at least one): ``Channel 1``… in realtime, ``Channel_1``… in batch."""
    separator = "_" if mode == "batch" else " "
    return tuple(f"Channel{separator}{index}" for index in range(1, max(1, count) + 1))
