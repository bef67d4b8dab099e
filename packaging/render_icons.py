"""Render the app icon (resources/icons/sftgui.svg) into the PNG sizes desktops use, in the
freedesktop layout resources/icons/hicolor/NxN/apps/sftgui.png, and from those the Windows icon
(resources/icons/sftgui.ico) and the macOS one (resources/icons/sftgui.icns) the bundles take.

Run after changing the SVG (needs PySide6 and Pillow):
    QT_QPA_PLATFORM=offscreen python packaging/render_icons.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    from sftgui.qt.icons import APP_ICON_SIZES
    from sftgui.resources import APP_ICON

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - Qt needs one
    renderer = QSvgRenderer(str(ROOT / "resources" / APP_ICON))
    for size in APP_ICON_SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        out = ROOT / "resources" / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "sftgui.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        image.save(str(out))
        print(out.relative_to(ROOT))
    _windows_and_macos_icons(ROOT / "resources" / "icons")
    return 0


def _windows_and_macos_icons(icons: Path) -> None:
    from PIL import Image

    largest = Image.open(icons / "hicolor" / "512x512" / "apps" / "sftgui.png")
    # Windows shows 16-256 px; the .ico keeps each size rendered from the SVG, not scaled down.
    ico_sizes = [16, 24, 32, 48, 64, 128, 256]
    frames = [Image.open(icons / "hicolor" / f"{s}x{s}" / "apps" / "sftgui.png") for s in ico_sizes]
    largest.save(icons / "sftgui.ico", format="ICO", sizes=[(s, s) for s in ico_sizes], append_images=frames)
    largest.save(icons / "sftgui.icns", format="ICNS")
    print("resources/icons/sftgui.ico", "resources/icons/sftgui.icns")


if __name__ == "__main__":
    raise SystemExit(main())
