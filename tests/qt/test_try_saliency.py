"""Try it on an image version: "Why this answer?" draws the saliency map over the opened picture;
`sftgui explain V PICTURE` gives the same explanation by regions."""

from __future__ import annotations

import json

from PySide6.QtWidgets import QFileDialog

from tests.core.image.conftest import shapes_dir, tiny_image_model_dir  # noqa: F401 - fixtures
from tests.qt.conftest import click
from tests.qt.test_image_pages import image_project  # noqa: F401 - fixture


def test_why_draws_the_map_over_the_picture(window, qtbot, image_project, shapes_dir):  # noqa: F811
    from PySide6.QtGui import QImage

    window.ctx.set_project(image_project)
    window.show_step("try")
    tryit = window.page("try")
    tryit.refresh()
    assert not tryit.why.isEnabled()
    click(qtbot, tryit.pick_button)
    dialog = tryit.findChild(QFileDialog, "tryPictureDialog")
    photo = next((shapes_dir / "star").iterdir())
    dialog.selectFile(str(photo))
    dialog.accept()
    qtbot.waitUntil(lambda: tryit.last is not None, timeout=60_000)
    assert tryit.why.isEnabled()
    click(qtbot, tryit.why)
    qtbot.waitUntil(lambda: tryit.explanation is not None, timeout=120_000)
    out = tryit.explanation
    assert out["kind"] == "saliency" and out["input"] == str(photo)
    shown = tryit.why_text.text()
    assert "<img src=" in shown and "pushed the model toward" in shown
    drawn = QImage(shown.split('src="')[1].split('"')[0])
    assert not drawn.isNull() and drawn.width() == 240
    label = out["predicted"]
    change = out["logit"][label] - out["baseline_logit"][label]
    assert abs(sum(out["attributions"][label]) - change) <= max(0.05, 0.05 * abs(change))


def test_cli_explains_a_picture_by_regions(ws, image_project, shapes_dir, capsys):  # noqa: F811
    from sftgui.cli import main

    photo = next((shapes_dir / "circle").iterdir())
    code = main(["--workspace", str(ws.path), "explain", "pics@v1", str(photo), "--label", "circle", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(out)
    assert list(doc["attributions"]) == ["circle"] and len(doc["parts"]) == 64
    assert doc["method"].startswith("integrated gradients on the pixels")
    code = main(["--workspace", str(ws.path), "explain", "pics@v1", str(photo), "--label", "circle"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "toward 'circle': region row" in out
    code = main(["--workspace", str(ws.path), "explain", "pics@v1", str(shapes_dir / "nope.png")])
    _, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1, err
