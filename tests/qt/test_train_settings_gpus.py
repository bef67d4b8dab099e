"""The Train page's "Graphics cards" setting: shown only where torch sees more than one GPU.

This machine has no GPU, so the one function that asks torch how many there are is replaced;
everything else (the real settings widget, its spin box, the TrainConfig it builds) is real.
"""

from __future__ import annotations

from sftgui.qt.widgets import train_settings


def _settings(qtbot, monkeypatch, gpus: int):
    monkeypatch.setattr(train_settings, "gpu_count", lambda: gpus)
    w = train_settings.TrainSettings()
    qtbot.addWidget(w)
    w.show()
    return w


def test_no_setting_without_several_gpus(qtbot, monkeypatch):
    for gpus in (0, 1):
        w = _settings(qtbot, monkeypatch, gpus)
        assert not w.form.isRowVisible(w.processes) and not w.processes.isVisible()
        assert w.config(project="p").processes == 1


def test_two_gpus_train_with_two_processes(qtbot, monkeypatch):
    w = _settings(qtbot, monkeypatch, 2)
    assert w.form.isRowVisible(w.processes) and w.processes.maximum() == 2
    w.processes.stepUp()  # as a person clicks the arrow
    assert w.processes.value() == 2 and w.config(project="p").processes == 2
    w.device.setCurrentIndex(w.device.findData("cpu"))  # on the CPU the cards do not count
    assert w.config(project="p").processes == 1
