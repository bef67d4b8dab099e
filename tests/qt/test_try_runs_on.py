"""The Try it page says where its answers are computed (issue 22), under the answer."""

from __future__ import annotations

from tests.core.evaluation.conftest import project, trained, trained_dir, version  # noqa: F401 - fixtures


def test_the_answer_says_where_it_ran(window, qtbot, project, version, tmp_path):
    import torch

    window.ctx.set_project(project)
    page = window.page("try")
    window.show_step("try")
    page.refresh()
    assert page.runs_on.text() == ""
    page.text.setFocus()
    qtbot.keyClicks(page.text, "parcel lost by the courier")
    qtbot.waitUntil(lambda: page.last is not None, timeout=60_000)
    assert page.last["label"] == "shipping"
    want = "Runs on: GPU (" if torch.cuda.is_available() else "Runs on: CPU ("
    assert want in page.runs_on.text() and page.runs_on.isVisible()
    assert page.grab().save(str(tmp_path / "try-runs-on.png"))
    page.grab().save("/tmp/infer/try-runs-on.png")
