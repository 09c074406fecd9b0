#!/usr/bin/env bash
# Set everything up, then run the whole check: ruff, mypy, the import contracts, and the test suite with
# real desktop services (keychain, audio device, virtual screen). Arguments go to pytest.
# Exits non-zero if any of the checks fails.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$ROOT/scripts/bootstrap.sh" test || exit $?
cd "$ROOT" || exit 1
BIN="$ROOT/.venv/bin"
export QT_QPA_PLATFORM=offscreen

failed=()
step() { printf '\n\033[1m== %s\033[0m\n' "$1"; }

step "ruff"
"$BIN/ruff" check . || failed+=(ruff)
step "mypy"
"$BIN/mypy" || failed+=(mypy)
step "import contracts"
"$BIN/lint-imports" || failed+=(import-linter)
step "tests"
"$ROOT/scripts/with-services.sh" "$BIN/python" -m pytest "$@" || failed+=(pytest)
# The whole run (no pytest arguments, as in CI) also builds the Linux bundle once and smoke-tests its archive;
# a focused run (`./scripts/test.sh -k keychain`) leaves it out unless STUDIO_BUNDLE=1.
if [ $# -eq 0 ] || [ "${STUDIO_BUNDLE:-}" = 1 ]; then
    step "bundle: build, pack and smoke-test (scripts/build-bundle.sh)"
    "$ROOT/scripts/with-services.sh" "$ROOT/scripts/build-bundle.sh" || failed+=(bundle)
fi

if [ ${#failed[@]} -gt 0 ]; then
    printf '\n\033[1;31mFailed: %s\033[0m\n' "${failed[*]}"
    exit 1
fi
