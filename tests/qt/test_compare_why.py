"""Compare's "Why they changed": after comparing v1 with v2 (v2 pushed toward "login"), a click on
Why? beside a changed prediction explains each version's answer with highlighted words, computed
in the background; the planted keyword of v1's answer is the word that pushed it most."""

from __future__ import annotations

from sftgui.store import audit_repo
from tests.core.evaluation.conftest import project, second_version, trained, trained_dir, version  # noqa: F401
from tests.core.evaluation.keywords import KEYWORDS
from tests.qt.conftest import click


def test_why_explains_both_answers_of_a_changed_prediction(window, qtbot, project, version, second_version):
    window.ctx.set_project(project)
    window.ctx.compare_selection = [version.id, second_version.id]
    window.show_step("compare")
    page = window.page("compare")
    page.refresh()
    assert len(page.checked_ids()) == 2
    click(qtbot, page.compare_button)
    qtbot.waitUntil(lambda: page.result is not None, timeout=120_000)
    page.tabs.setCurrentWidget(page.why)
    why = page.why
    assert page.tabs.isTabVisible(page.tabs.indexOf(why))
    assert why.list.count() >= 1 and not why.button.isEnabled()
    # a prediction v2 broke: v1 said "billing" for a text with a billing keyword, v2 says "login"
    # ("shipping" is what the tiny model gives an empty text, so its words owe it little)
    row = next(i for i in range(why.list.count()) if why.list.item(i).text().startswith("broken")
               and why.list.item(i).data(0x0100)[2]["before"] == "billing")
    why.list.setCurrentRow(row)
    assert why.button.isEnabled()
    before_ref, after_ref, ex = why.list.item(row).data(0x0100)
    click(qtbot, why.button)
    assert not why.button.isEnabled()  # working in the background
    qtbot.waitUntil(lambda: why.shown is not None, timeout=120_000)
    shown = why.text.text()
    assert f"<b>{version.ref}</b> said <b>{ex['before']}</b>" in shown
    assert f"<b>{second_version.ref}</b> said <b>{ex['after']}</b>" in shown
    assert "background-color: rgba(84,162,75" in shown  # a word pushed toward an answer (green)
    first = why.shown[0]
    assert list(first["attributions"]) == [ex["before"]]  # only the label that version gave
    values = first["attributions"][ex["before"]]
    top = first["parts"][max(range(len(values)), key=values.__getitem__)]["text"]
    assert top in KEYWORDS[ex["before"]], (top, ex)
    assert sum(e.action == "explain" for e in audit_repo.list_events()) == 2
    # asked again: remembered, nothing recomputed
    click(qtbot, why.button)
    qtbot.waitUntil(lambda: why.button.isEnabled(), timeout=30_000)
    assert sum(e.action == "explain" for e in audit_repo.list_events()) == 2
    assert len(why.cache) == 2
