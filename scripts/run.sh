#!/usr/bin/env bash
# Set everything up, then start Transcription Studio. Arguments go to the `studio` command.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$ROOT/scripts/bootstrap.sh" run
exec "$ROOT/.venv/bin/studio" "$@"
