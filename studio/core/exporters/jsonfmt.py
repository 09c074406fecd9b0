"""json-v2, as the batch API returns it: ``Transcript.to_json_v2()`` serialised (UTF-8, not ASCII-escaped).

It loads back with ``Transcript.from_json_v2``, speaker names included (in the ``studio`` block).
"""

from __future__ import annotations

import json

from studio.core.exporters import JsonOptions
from studio.core.transcript import Transcript


def export(transcript: Transcript, options: JsonOptions) -> bytes:
    return json.dumps(transcript.to_json_v2(), ensure_ascii=False, indent=options.indent).encode("utf-8") + b"\n"
