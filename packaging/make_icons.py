"""Renders the studio's icon (resources/icons/app.svg) into the files installers want, with Qt's SVG renderer:

    python packaging/make_icons.py [OUT]     # default OUT: build/icons

- ``transcription-studio.ico`` (Windows: the executable and the Inno Setup installer): 16 to 256 px, each size
  stored as PNG, which every Windows since Vista reads;
- ``transcription-studio.icns`` (macOS: the .app): the ic07–ic10 sizes (128 to 1024 px), also PNG;
- ``transcription-studio-<size>.png`` for each size (hicolor themes that want bitmaps).

Both containers are simple enough to write here (a header, a directory, the PNGs), so no imaging library
is needed.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAME = "transcription-studio"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_TYPES = {128: b"ic07", 256: b"ic08", 512: b"ic09", 1024: b"ic10"}
_APP: object = None


def render_png(svg: bytes, size: int) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF
    from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    global _APP
    if QGuiApplication.instance() is None:
        _APP = QGuiApplication(["make_icons", "-platform", "offscreen"])  # kept alive for every size
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(QColor(0, 0, 0, 0))
    painter = QPainter(image)
    QSvgRenderer(QByteArray(svg)).render(painter, QRectF(0, 0, size, size))
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def ico(pngs: dict[int, bytes]) -> bytes:
    """An ICO file whose images are PNGs (ICONDIR, then one ICONDIRENTRY per image, then the images)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = 6 + 16 * len(pngs)
    entries, images = b"", b""
    for size, png in sorted(pngs.items()):
        side = 0 if size >= 256 else size  # 0 means 256
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset + len(images))
        images += png
    return header + entries + images


def icns(pngs: dict[int, bytes]) -> bytes:
    """An ICNS file: the 'icns' header with the total length, then one (type, length, PNG) element per size."""
    body = b"".join(ICNS_TYPES[size] + struct.pack(">I", 8 + len(png)) + png for size, png in sorted(pngs.items()))
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "build" / "icons"
    out.mkdir(parents=True, exist_ok=True)
    svg = (ROOT / "resources" / "icons" / "app.svg").read_bytes()
    pngs = {size: render_png(svg, size) for size in sorted({*ICO_SIZES, *ICNS_TYPES})}
    for size, png in pngs.items():
        (out / f"{NAME}-{size}.png").write_bytes(png)
    (out / f"{NAME}.ico").write_bytes(ico({size: pngs[size] for size in ICO_SIZES}))
    (out / f"{NAME}.icns").write_bytes(icns({size: pngs[size] for size in ICNS_TYPES}))
    print(f"icons written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
