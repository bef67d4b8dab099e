"""The app's look: resources/style/app.qss on the whole application.

The stylesheet names palette roles only (no fixed colours), so it follows a light or a dark
desktop theme; a missing or unreadable file leaves Qt's own style (the app still works)."""

from __future__ import annotations

STYLESHEET = "style/app.qss"


def stylesheet() -> str:
    from sftgui.errors import UserError
    from sftgui.resources import resource_path

    try:
        return resource_path(STYLESHEET).read_text(encoding="utf-8")
    except (OSError, UserError):
        return ""


def apply_style(app) -> None:
    app.setStyleSheet(stylesheet())
