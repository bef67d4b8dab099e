"""The Try it page's "Why this answer?": clicked with real widgets on the trained tiny version, the
words come back highlighted and the planted keyword is named."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.core.evaluation.conftest import project, trained, trained_dir, version  # noqa: F401 - fixtures


def test_why_highlights_the_words_that_pushed_the_answer(window, qtbot, project, version, tmp_path):
    import os
    import shutil

    window.ctx.set_project(project)
    page = window.page("try")
    window.show_step("try")
    page.refresh()
    assert page.version.count() >= 1
    assert not page.why.isEnabled()
    page.text.setFocus()
    qtbot.keyClicks(page.text, "my card payment please")
    qtbot.waitUntil(lambda: page.last is not None, timeout=60_000)
    assert page.last["label"] == "billing"
    assert page.why.isEnabled()
    qtbot.mouseClick(page.why, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.explanation is not None, timeout=120_000)
    shown = page.why_text.text()
    assert "background-color: rgba(84,162,75" in shown  # a word pushed toward the answer (green)
    assert "Words that pushed toward 'billing' the most:" in shown
    top = page.explanation["parts"][max(range(len(page.explanation["parts"])),
                                         key=lambda i: page.explanation["attributions"]["billing"][i])]["text"]
    assert top in ("card", "payment")
    shot = tmp_path / "try-explain.png"
    assert page.grab().save(str(shot))
    if os.environ.get("SFTGUI_SCREENSHOTS"):  # README's picture: SFTGUI_SCREENSHOTS=docs/screenshots
        shutil.copy(shot, os.path.join(os.environ["SFTGUI_SCREENSHOTS"], "try-explain.png"))
