#!/usr/bin/env bash
# Run a command with the real desktop services the tests use, each private to this run:
#   - a D-Bus session bus with gnome-keyring's Secret Service, unlocked (a real OS keychain),
#   - a PulseAudio daemon with a null sink and a virtual microphone on its monitor (a real audio device),
#   - an Xvfb screen (its display is exported as STUDIO_XVFB_DISPLAY; other tests run offscreen).
# Every service is stopped by its PID when the command ends, pass or fail. Nothing touches $HOME.
# Usage: scripts/with-services.sh COMMAND [ARG...]
set -euo pipefail

RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/studio-services.XXXXXX")
pids=()

say() { printf '\033[1m[services]\033[0m %s\n' "$*" >&2; }

cleanup() {
    local pid i
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        pid=${pids[i]}
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$RUN_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_for SECONDS DESCRIPTION COMMAND... : poll until COMMAND succeeds
wait_for() {
    local seconds=$1 what=$2
    shift 2
    for _ in $(seq $((seconds * 20))); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    say "$what did not start in ${seconds}s; its log follows"
    cat "$RUN_DIR"/*.log >&2 2>/dev/null || true
    exit 1
}

mkdir -m 700 "$RUN_DIR/runtime"
export XDG_RUNTIME_DIR="$RUN_DIR/runtime"
export XDG_DATA_HOME="$RUN_DIR/data" XDG_CONFIG_HOME="$RUN_DIR/config" XDG_CACHE_HOME="$RUN_DIR/cache"
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME"

# 1. D-Bus session bus and the Secret Service.
dbus-daemon --session --nofork --nopidfile --address="unix:path=$RUN_DIR/bus" >"$RUN_DIR/dbus.log" 2>&1 &
pids+=($!)
export DBUS_SESSION_BUS_ADDRESS="unix:path=$RUN_DIR/bus"
wait_for 10 "dbus-daemon" test -S "$RUN_DIR/bus"
printf 'studio-test' | gnome-keyring-daemon --foreground --unlock --components=secrets \
    >"$RUN_DIR/keyring.out" 2>"$RUN_DIR/keyring.log" &
pids+=($!)
# Asks the bus who owns the name (a call to the service itself would make D-Bus start a second daemon).
secrets_ready() {
    dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets | grep -q 'boolean true'
}
wait_for 10 "gnome-keyring" secrets_ready

# 2. PulseAudio with a null sink; its monitor, remapped, is the default microphone.
export PULSE_RUNTIME_PATH="$XDG_RUNTIME_DIR/pulse"
pulseaudio --daemonize=no --system=false --exit-idle-time=-1 -n --load=module-native-protocol-unix \
    --log-target=stderr >"$RUN_DIR/pulseaudio.log" 2>&1 &
pids+=($!)
wait_for 10 "pulseaudio" pactl info
pactl load-module module-null-sink sink_name=studio_null rate=48000 channels=1 \
    sink_properties=device.description=Studio_null_sink >/dev/null
pactl set-default-sink studio_null
pactl load-module module-remap-source master=studio_null.monitor source_name=studio_mic \
    source_properties=device.description=Studio_microphone >/dev/null
pactl set-default-source studio_mic
pactl suspend-sink studio_null 0
export STUDIO_PULSE_SINK=studio_null
# A second, independent "microphone" for live captions (Microphone + system audio): what is played into the
# studio_live_mic_feed sink comes out of the studio_live_mic source; the system audio is studio_null's monitor.
pactl load-module module-null-sink sink_name=studio_live_mic_feed rate=48000 channels=1 \
    sink_properties=device.description=Studio_live_mic_feed >/dev/null
pactl load-module module-remap-source master=studio_live_mic_feed.monitor source_name=studio_live_mic \
    source_properties=device.description=Studio_live_microphone >/dev/null
pactl suspend-sink studio_live_mic_feed 0
export STUDIO_PULSE_MIC_FEED=studio_live_mic_feed STUDIO_PULSE_MIC_SOURCE=studio_live_mic
export STUDIO_PULSE_SYSTEM_SOURCE=studio_null.monitor

# 3. A virtual screen.
Xvfb -displayfd 5 -screen 0 1280x800x24 -nolisten tcp 5>"$RUN_DIR/display" 2>"$RUN_DIR/xvfb.log" &
pids+=($!)
wait_for 10 "Xvfb" test -s "$RUN_DIR/display"
export STUDIO_XVFB_DISPLAY=":$(cat "$RUN_DIR/display")"

export STUDIO_TEST_SERVICES=1
say "keychain, audio device and screen ${STUDIO_XVFB_DISPLAY} are up"
"$@"
