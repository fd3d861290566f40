"""Render the app icon from its one source image, resources/icons/otdesk.svg.

    python packaging/icons.py OUT_DIR      # otdesk.png (512 px), otdesk.ico, otdesk.icns
    python packaging/icons.py --update     # rewrite the committed resources/icons/otdesk.png
    python packaging/icons.py --check      # fail if the committed PNG no longer matches the SVG

The spec runs this in a subprocess at build time (Qt stays out of PyInstaller's process); the
.ico and .icns are build products and are not committed. resources/icons/otdesk.png (256 px)
is committed because the running app can load a PNG without Qt's SVG plugins.

Each size is rendered from the vector source by QtSvg (sharper than scaling one bitmap
down), then Pillow writes the Windows .ico and the macOS .icns containers.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "resources" / "icons" / "otdesk.svg"
COMMITTED_PNG = ROOT / "resources" / "icons" / "otdesk.png"
COMMITTED_SIZE = 256
ICO_SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)
# Mean per-channel difference (0-255) tolerated by --check: renderers differ in antialiasing.
CHECK_TOLERANCE = 2.0


def render(size: int, source: Path = SOURCE):
    """The SVG rendered at size x size as a Pillow RGBA image."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    renderer = QSvgRenderer(str(source))
    if not renderer.isValid():
        raise SystemExit(f"icons: {source} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return Image.open(io.BytesIO(bytes(data))).convert("RGBA")


def write_all(out_dir: Path, source: Path = SOURCE) -> dict[str, Path]:
    """otdesk.png, otdesk.ico and otdesk.icns in out_dir; returns their paths by suffix."""
    out_dir.mkdir(parents=True, exist_ok=True)
    images = {size: render(size, source) for size in sorted(set(ICO_SIZES + ICNS_SIZES))}
    paths = {"png": out_dir / "otdesk.png", "ico": out_dir / "otdesk.ico"}
    paths["icns"] = out_dir / "otdesk.icns"
    images[512].save(paths["png"])
    largest_ico = images[max(ICO_SIZES)]
    largest_ico.save(
        paths["ico"],
        sizes=[(s, s) for s in ICO_SIZES],
        append_images=[images[s] for s in ICO_SIZES if s != max(ICO_SIZES)],
    )
    images[max(ICNS_SIZES)].save(
        paths["icns"], append_images=[images[s] for s in ICNS_SIZES if s != max(ICNS_SIZES)]
    )
    return paths


def difference(a, b) -> float:
    """Mean absolute per-channel difference between two same-size RGBA images."""
    from PIL import ImageChops, ImageStat

    stat = ImageStat.Stat(ImageChops.difference(a, b))
    return sum(stat.mean) / len(stat.mean)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("out_dir", nargs="?", type=Path, help="write png, ico and icns here")
    group.add_argument("--update", action="store_true", help="rewrite the committed PNG")
    group.add_argument("--check", action="store_true", help="compare the committed PNG")
    args = parser.parse_args(argv)
    if args.update:
        render(COMMITTED_SIZE).save(COMMITTED_PNG, optimize=True)
        print(f"wrote {COMMITTED_PNG.relative_to(ROOT)}")
        return 0
    if args.check:
        from PIL import Image

        committed = Image.open(COMMITTED_PNG).convert("RGBA")
        if committed.size != (COMMITTED_SIZE, COMMITTED_SIZE):
            print(f"icons: {COMMITTED_PNG} is {committed.size}, expected {COMMITTED_SIZE} px")
            return 1
        diff = difference(committed, render(COMMITTED_SIZE))
        if diff > CHECK_TOLERANCE:
            print(
                f"icons: {COMMITTED_PNG.name} differs from {SOURCE.name} (mean {diff:.2f}); "
                "run python packaging/icons.py --update"
            )
            return 1
        print(f"icons: {COMMITTED_PNG.name} matches {SOURCE.name} (mean difference {diff:.2f})")
        return 0
    for kind, path in write_all(args.out_dir).items():
        print(f"{kind}: {path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
