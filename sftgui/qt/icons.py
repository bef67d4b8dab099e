"""Icons drawn from the SVGs in resources/icons, in the palette's text colour (the outline icons
say `currentColor`), so they suit light and dark themes alike. The app icon keeps its own colours."""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

from sftgui.resources import resource_path

# The sizes desktops ask for; resources/icons/hicolor holds a PNG of the app icon for each
# (packaging/render_icons.py renders them from the SVG).
APP_ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def app_icon() -> QIcon:
    icon = QIcon()
    for size in APP_ICON_SIZES:
        icon.addFile(str(resource_path(f"icons/hicolor/{size}x{size}/apps/sftgui.png")), QSize(size, size))
    return icon


def _colour(role=QPalette.ColorRole.WindowText) -> str:
    return QGuiApplication.palette().color(role).name()


@lru_cache(maxsize=None)
def _renderer(name: str, colour: str) -> QSvgRenderer:
    svg = resource_path(f"icons/{name}.svg").read_text(encoding="utf-8").replace("currentColor", colour)
    return QSvgRenderer(QByteArray(svg.encode("utf-8")))


def _pixmap(size: int) -> tuple[QPixmap, QPainter]:
    ratio = QGuiApplication.primaryScreen().devicePixelRatio() if QGuiApplication.primaryScreen() else 1.0
    pixmap = QPixmap(round(size * ratio), round(size * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    return pixmap, painter


def _draw(name: str, size: int, colour: str, badge: str | None = None, scale: float = 1.0) -> QPixmap:
    pixmap, painter = _pixmap(size)
    _renderer(name, colour).render(painter, QRectF(0, 0, size * scale, size * scale))
    if badge:
        b = size * 0.55
        _renderer(f"badges/{badge}", "").render(painter, QRectF(size - b, size - b, b, b))
    painter.end()
    return pixmap


def _themed(name: str, size: int, badge: str | None = None, scale: float = 1.0) -> QIcon:
    """The icon in the text colour, and in the highlighted text colour where it is selected."""
    result = QIcon(_draw(name, size, _colour(), badge, scale))
    result.addPixmap(_draw(name, size, _colour(QPalette.ColorRole.HighlightedText), badge, scale), QIcon.Mode.Selected)
    return result


def icon(name: str, size: int = 24) -> QIcon:
    """An outline icon, e.g. icon("actions/start") or icon("steps/train")."""
    return _themed(name, size)


def step_icon(key: str, badge: str | None = None, size: int = 22) -> QIcon:
    """A sidebar step's icon, with a small "done" tick or "attention" sign in its corner."""
    return _themed(f"steps/{key}", size, badge, scale=0.86)


__all__ = ["APP_ICON_SIZES", "app_icon", "icon", "step_icon"]
