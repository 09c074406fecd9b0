#!/bin/sh
# Installs the unpacked Transcription Studio folder for this user: a `transcription-studio` command in
# ~/.local/bin, the menu entry, its icon and its AppStream metadata. Nothing is copied: the folder stays where
# it was unpacked (move it first if you want it elsewhere, e.g. ~/.local/opt). Run it again after moving.
#   ./install.sh             install (or update) for this user
#   ./install.sh --uninstall remove what install.sh added (settings, logs and caches are kept)
# PREFIX=/usr/local ./install.sh (as root) installs for everyone instead.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=${PREFIX:-$HOME/.local}
BIN="$PREFIX/bin"
SHARE="$PREFIX/share"
NAME=transcription-studio
METAINFO=org.transcriptionstudio.TranscriptionStudio.metainfo.xml

if [ "${1:-}" = --uninstall ]; then
    rm -f "$BIN/$NAME" "$SHARE/applications/$NAME.desktop" "$SHARE/icons/hicolor/scalable/apps/$NAME.svg" \
          "$SHARE/metainfo/$METAINFO"
    echo "Removed the $NAME command and menu entry (your settings, logs and the folder $HERE are kept)."
    exit 0
fi

mkdir -p "$BIN" "$SHARE/applications" "$SHARE/icons/hicolor/scalable/apps" "$SHARE/metainfo"
ln -sf "$HERE/$NAME" "$BIN/$NAME"
# The menu entry runs this folder's executable by its absolute path, so it works without ~/.local/bin on PATH.
sed -e "s|^Exec=.*|Exec=\"$HERE/$NAME\"|" -e "s|^TryExec=.*|TryExec=$HERE/$NAME|" \
    "$HERE/share/applications/$NAME.desktop" > "$SHARE/applications/$NAME.desktop"
cp "$HERE/share/icons/hicolor/scalable/apps/$NAME.svg" "$SHARE/icons/hicolor/scalable/apps/$NAME.svg"
cp "$HERE/share/metainfo/$METAINFO" "$SHARE/metainfo/$METAINFO"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$SHARE/applications" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$SHARE/icons/hicolor" || true

echo "Installed: Transcription Studio is in your applications menu, and '$NAME' starts it from a terminal"
case ":$PATH:" in
    *":$BIN:"*) ;;
    *) echo "($BIN is not on your PATH: add it, or run $HERE/$NAME)" ;;
esac
