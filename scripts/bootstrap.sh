#!/usr/bin/env bash
# Set up everything Transcription Studio needs on this machine, idempotently:
#   1. system packages (Debian/Ubuntu, with root or password-less sudo; otherwise the exact apt line is printed),
#   2. a virtual environment in .venv,
#   3. the Python packages of the project with the extras for PURPOSE.
# Usage: scripts/bootstrap.sh run|test
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PURPOSE=${1:-run}
VENV="$ROOT/.venv"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

# System packages. The run set is what the app loads at run time (PortAudio, PulseAudio client, Qt's xcb
# platform, fonts for CJK and emoji). The test set adds the real desktop parts the tests drive: a virtual X
# screen, a PulseAudio daemon with a null sink, and gnome-keyring's Secret Service on a private D-Bus.
APT_RUN=(libportaudio2 libpulse0 libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxkbcommon-x11-0
         libegl1 libgl1 libfontconfig1 libdbus-1-3 fonts-wqy-microhei fonts-noto-color-emoji)
APT_TEST=(xvfb pulseaudio pulseaudio-utils libasound2-plugins alsa-utils gnome-keyring dbus dbus-x11
          libsecret-tools binutils)  # binutils: PyInstaller reads libraries with objdump (scripts/build-bundle.sh)

packages=("${APT_RUN[@]}")
[ "$PURPOSE" = test ] && packages+=("${APT_TEST[@]}")

python_bin=${PYTHON:-python3}
if ! "$python_bin" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    packages+=(python3-venv)
fi

install_system_packages() {
    if ! command -v dpkg-query >/dev/null 2>&1; then
        say "Not a Debian/Ubuntu system: make sure these libraries (or your distribution's equivalents) are installed:"
        say "  ${packages[*]}"
        return 0
    fi
    local missing=()
    local p
    for p in "${packages[@]}"; do
        if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" != installed ]; then
            missing+=("$p")
        fi
    done
    [ ${#missing[@]} -eq 0 ] && return 0

    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            sudo=(sudo)
        else
            say "These system packages are missing: ${missing[*]}"
            say "Install them, then run this command again:"
            printf '\n    sudo apt-get update && sudo apt-get install -y --no-install-recommends %s\n\n' "${missing[*]}" >&2
            exit 1
        fi
    fi
    say "Installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_system_packages

if ! "$python_bin" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    say "Python 3.11 or newer is needed; $("$python_bin" --version 2>&1) was found. Set PYTHON=/path/to/python3.11."
    exit 1
fi

if [ ! -x "$VENV/bin/python" ]; then
    say "Creating the virtual environment in .venv"
    "$python_bin" -m venv "$VENV"
fi

case "$PURPOSE" in
    run) extras="engine" ;;
    test) extras="engine,test,dev,packaging" ;;  # packaging: the test run also builds the bundle
    *) say "unknown purpose '$PURPOSE' (use run or test)"; exit 2 ;;
esac

# Reinstall only when pyproject.toml or the extras changed.
stamp="$VENV/.studio-installed"
want="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1) $extras"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "Installing Python packages (.[$extras])"
    log="$VENV/pip-install.log"
    if ! "$VENV/bin/python" -m pip install -e "$ROOT[$extras]" >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        say "Installing the Python packages failed; the whole log is in $log"
        exit 1
    fi
    printf '%s' "$want" > "$stamp"
fi

# Byte-compile the studio's own modules, as pip does for every installed package but not for this editable
# source tree: where bytecode cannot be written at run time (PYTHONDONTWRITEBYTECODE), every start would
# compile them again (~20 ms of start-up). Only stale files are rewritten.
"$VENV/bin/python" -m compileall -q -j 0 "$ROOT/studio" >/dev/null || say "Byte-compiling studio/ failed (start-up will be slower)"
