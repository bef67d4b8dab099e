"""What a new user meets first, through the real widgets: the welcome cards, the sample landing on
its data, plain words with the technical lines behind "Details", the preset turning "Custom", and
every page at 1280x800 with no literal "&", no nameless control and no sideways scroll bar."""

from __future__ import annotations

import csv

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractScrollArea, QLabel, QMessageBox

from tests.qt.conftest import click, fast_settings, go_to, type_path


def _sample_rows() -> tuple[int, set[str]]:
    from sftgui.qt.sample import sample_csv

    with open(sample_csv(), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return len(rows), {r["label"] for r in rows if r["label"]}


def _no_error_dialog(window):
    box = window.findChild(QMessageBox, "errorDialog")
    assert box is None or not box.isVisible(), box.text()


def test_sample_card_lands_on_its_data_then_train_gives_a_plainly_named_version(window, qtbot, tiny_model_dir):
    import torch  # noqa: F401 - the app's warm-up has loaded it by the time a person trains

    ctx = window.ctx
    welcome = window.pages[0]
    # one card per sample (the text one and each task's own), plus New project and Open workspace
    assert {"text-classification", "image-classification", "instruction-sft"} <= set(welcome.sample_cards)
    for card in (*welcome.sample_cards.values(), welcome.new_button, welcome.open_button):
        assert card.accessibleName() and card.description() and card.focusPolicy() != Qt.FocusPolicy.NoFocus
    rows, labels = _sample_rows()
    assert all(label in welcome.sample_button.description() for label in labels)

    click(qtbot, welcome.sample_button)
    qtbot.waitUntil(lambda: ctx.project is not None and window.stack.currentWidget().key == "data", timeout=60_000)
    _no_error_dialog(window)
    data = window.page("data")
    # the data is shown, not "No file chosen" over an empty preview
    assert "No file chosen" not in data.file_label.text() and f"{rows:,} examples" in data.file_label.text()
    assert data.preview.rowCount() > 100 and data.preview.item(0, 0).text()
    assert {data.preview.item(r, 1).text() for r in range(data.preview.rowCount())} <= labels

    # Train from the tiny test model (added as a person does), typing short settings: "Custom".
    go_to(window, qtbot, "model")
    type_path(qtbot, tiny_model_dir, "folderDialog")
    click(qtbot, window.page("model").add_button)
    go_to(window, qtbot, "train")
    train = window.page("train")
    assert train.settings.preset.currentText() == "Quick"
    fast_settings(train, qtbot=qtbot)
    assert train.settings.preset.currentText() == "Custom"
    assert "Your own settings" in train.settings.preset_help.text()
    click(qtbot, train.start_button)
    qtbot.waitUntil(lambda: train.job is None, timeout=180_000)
    _no_error_dialog(window)
    assert train.last_version and train.last_version.endswith("@v1"), train.status.text()
    # plain words on screen; precision and the fast paths behind "Details", shown when clicked
    log = train.log.toPlainText()
    assert "Learning from" in log and "Checkpoint" not in log and "Epoch" not in log
    assert train.fast_label.text() and not train.fast_label.isVisible()
    click(qtbot, train.details.button)
    assert train.fast_label.isVisible() and "Device:" in train.device_label.text()
    click(qtbot, train.details.button)
    assert not train.fast_label.isVisible()

    # The version is named by what a person recognises: date, data, score.
    go_to(window, qtbot, "versions")
    versions = window.page("versions")
    v = versions.versions[-1]
    assert versions.table.item(0, 2).text() == tiny_model_dir.resolve().name  # the folder's name, not its path
    assert versions.table.item(0, 3).text().replace(",", "").isdigit()  # examples, not "snapshot 1"
    assert versions.table.item(0, 4).text().endswith("%")
    summary = versions.summary.text()
    assert "examples" in summary and "correct" in summary and "snapshot" not in summary
    assert "tensors" not in summary and not versions.summary_details.body.isVisible()
    assert any(line.startswith("Data snapshot: ") for line in versions.summary_details.lines())
    assert any("tensors" in line for line in versions.summary_details.lines())
    assert f"v{v.number} · " in summary


def test_preset_goes_back_to_its_name_when_the_values_match_again(qapp, qtbot):
    from sftgui.qt.widgets.train_settings import TrainSettings

    settings = TrainSettings()
    qtbot.addWidget(settings)
    settings.show()
    box, epochs = settings.advanced, settings.fields["epochs"]
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Space)
    assert box.isChecked() and settings.preset.currentText() == "Quick"  # nothing changed yet
    first = epochs.value()
    epochs.setFocus()
    qtbot.keyClick(epochs, Qt.Key.Key_Up)
    assert settings.preset.currentText() == "Custom"
    assert settings.config(project="p", model="bundled").epochs == epochs.value() != first
    qtbot.keyClick(epochs, Qt.Key.Key_Down)
    assert settings.preset.currentText() == "Quick"
    qtbot.keyClick(epochs, Qt.Key.Key_Up)
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Space)  # Advanced off: the preset decides again
    assert settings.preset.currentText() == "Quick"
    assert settings.config(project="p", model="bundled").epochs == first


def _displayed_ampersand(label: QLabel) -> bool:
    """True when a label would show a literal "&": a mnemonic without a buddy, in plain text."""
    text = label.text().replace("&&", "")
    if "&" not in text or label.buddy() is not None:
        return False
    rich = label.textFormat() == Qt.TextFormat.RichText or (
        label.textFormat() == Qt.TextFormat.AutoText and Qt.mightBeRichText(label.text()))
    return not rich  # in rich text "&" starts an entity (&amp;), and shows as written only when broken


def test_every_page_at_1280x800_names_its_controls_shows_no_ampersand_and_no_sideways_scroll(
        window, qtbot, sample_project):
    from sftgui.qt.accessibility import controls
    from sftgui.qt.main_window import KEYS

    window.resize(1280, 800)
    window.ctx.set_project(sample_project)
    for key in KEYS:
        go_to(window, qtbot, key)
    train = window.page("train")
    train.settings.advanced.setChecked(True)  # the widest the Train page gets
    problems = []
    for key in KEYS:
        go_to(window, qtbot, key)
        qtbot.wait(50)  # let the layouts settle at this size
        page = window.page(key)
        for w in controls(page):
            if not w.accessibleName().strip():
                problems.append(f"{key}: {type(w).__name__} {w.objectName()!r} has no accessible name")
        for label in page.findChildren(QLabel):
            if label.isVisibleTo(page) and _displayed_ampersand(label):
                problems.append(f"{key}: label shows a literal '&': {label.text()!r}")
        for area in page.findChildren(QAbstractScrollArea):
            if area.isVisible() and area.horizontalScrollBar().isVisible() and area.objectName() not in WIDE_TABLES:
                problems.append(f"{key}: {type(area).__name__} {area.objectName()!r} scrolls sideways")
        if page.sizeHint().width() > page.width() and page.minimumSizeHint().width() > page.width():
            problems.append(f"{key}: needs {page.minimumSizeHint().width()} px, has {page.width()}")
    assert not problems, "\n".join(problems)


# Tables whose columns are the person's own data may scroll sideways (a wide CSV); pages may not.
WIDE_TABLES = {"previewTable"}


def test_details_expander_keeps_technical_lines_folded_until_asked(qapp, qtbot):
    from sftgui.qt.widgets.details import Details

    details = Details()
    qtbot.addWidget(details)
    details.set_lines(["mixed precision: off", "", "dynamic padding: on"])
    details.show()
    assert details.lines() == ["mixed precision: off", "dynamic padding: on"]
    assert not details.label.isVisible() and details.button.accessibleName() == "Details"
    details.button.setFocus()
    qtbot.keyClick(details.button, Qt.Key.Key_Space)  # reachable with the keyboard
    assert details.label.isVisible() and details.is_expanded()
    click(qtbot, details.button)
    assert not details.label.isVisible()


def test_plots_keep_legends_under_the_curves_scores_in_percent_and_fit_their_width(qapp, qtbot):
    from sftgui.qt.widgets.loss_plot import LossPlot

    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(680, 340)  # about what the Train page gives the plots at 1280x800
    for step in range(1, 41):
        plot.append("train_loss", step, 1.5 / step)
        plot.append("learning_rate", step, 5e-5 * (1 - step / 40))
        if step % 8 == 0:
            plot.append("eval_loss", step, 1.4 / step)
            plot.append("eval_accuracy", step, 0.5 + step / 100)
            plot.append("eval_f1", step, 0.4 + step / 100)
    plot.show()
    qtbot.waitExposed(plot)
    plot.redraw()
    qtbot.wait(100)
    scores = plot.plots["scores"]
    low, high = scores.vb.viewRange()[1]
    assert low <= 0 and 1 <= high < 1.2  # 0 to 100%, not to 140%
    assert [t for _, t in scores.getAxis("left")._tickLevels[0]] == ["0%", "20%", "40%", "60%", "80%", "100%"]
    for key, legend in plot.legends.items():
        # the legend sits below its plot, never over the curves
        assert legend.sceneBoundingRect().top() >= plot.plots[key].sceneBoundingRect().bottom() - 1
    assert plot.view.scene().itemsBoundingRect().width() <= plot.view.width() + 1  # nothing clipped at the right
