"""The training settings: a preset (Quick / Balanced / Thorough), the device, and Advanced.

Every Advanced field is built from one table row (name, label, kind, range, plain-words tooltip),
so the form, its tooltips and the TrainConfig overrides can never disagree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from sftgui.config import SCHEDULERS, TrainConfig
from sftgui.core.tasks import registry


@dataclass(frozen=True)
class Setting:
    name: str  # TrainConfig field
    label: str
    kind: str  # int | float | choice | bool
    tooltip: str
    low: float = 0
    high: float = 1
    decimals: int = 0
    choices: tuple = ()


SETTINGS = (
    Setting("epochs", "Epochs", "float", "How many times the model reads all your training examples. "
            "More can learn more, but takes longer and may start to memorise.", 0.1, 100, 1),
    Setting("learning_rate", "Learning rate", "float", "How big each learning step is. Too high and learning "
            "jumps around; too low and it barely moves. 0.00005 is a safe start.", 1e-7, 0.5, 7),
    Setting("batch_size", "Batch size", "int", "How many examples the model looks at before each step. "
            "Bigger is smoother and uses more memory.", 1, 1024),
    Setting("grad_accumulation", "Accumulate batches", "int", "Add up this many batches before a step: "
            "acts like a bigger batch without the memory.", 1, 256),
    Setting("max_length", "Longest text (tokens)", "int", "Texts longer than this many word pieces are cut. "
            "Longer keeps more of each text but is slower. Automatic reads 95% of your texts whole.", 0, 8192),
    Setting("warmup", "Warm-up", "float", "Start with small steps for this share of training (0.1 = the "
            "first 10%), then go to the full learning rate.", 0, 1000, 2),
    Setting("weight_decay", "Weight decay", "float", "A gentle pull toward small weights that helps the "
            "model generalise instead of memorising.", 0, 0.99, 3),
    Setting("label_smoothing", "Label smoothing", "float", "Tell the model not to be 100% sure of any "
            "label; helps when some labels are wrong.", 0, 0.99, 2),
    Setting("scheduler", "Learning-rate schedule", "choice", "How the step size changes during training: "
            "linear goes down steadily to zero.", choices=SCHEDULERS),
    Setting("class_weights", "Rare labels", "choice", "balanced gives rare labels more weight so the model "
            "does not ignore them; none treats every example the same.", choices=("none", "balanced")),
    Setting("freeze", "Keep fixed", "choice", "Keep parts of the pre-trained model unchanged: faster and "
            "safer with little data, but it may learn less.", choices=("none", "embeddings", "all-but-top-2", "all-but-head")),
    Setting("lora", "LoRA (small add-on weights)", "bool", "Train small add-on matrices instead of the whole "
            "model: much less memory; the result is merged into a normal model."),
    Setting("packing", "Pack short examples together", "bool", "Language models: lay short examples end to "
            "end in rows of the longest length, so less time goes to padding. Each example still only sees "
            "itself, and the loss still counts only the answers."),
    Setting("early_stopping", "Stop when it stops improving", "bool", "End training early when the score on "
            "held-out examples has not improved for a few evaluations."),
    Setting("precision", "Number precision", "choice", "auto picks bf16/fp16 where this computer does them fast "
            "(about 2x faster), else fp32.", choices=("auto", "bf16", "fp16", "fp32")),
    Setting("seed", "Random seed", "int", "The same seed with the same data and settings gives the same "
            "result when run again.", 0, 2**31 - 1),
)


def devices() -> list[tuple[str, str]]:
    """(config value, label with memory). GPUs are listed once torch is loaded (by the warm-up)."""
    import sys

    out = [("auto", "Automatic (fastest available)")]
    try:
        import psutil

        ram = f", {psutil.virtual_memory().total / 2**30:.0f} GB memory"
    except ImportError:
        ram = ""
    out.append(("cpu", f"CPU ({os.cpu_count()} cores{ram})"))
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        out.append(("cuda", f"GPU: {props.name} ({props.total_memory / 2**30:.0f} GB)"))
    return out


def gpu_count() -> int:
    """Graphics cards torch sees (0 until torch is loaded by the warm-up)."""
    import sys

    torch = sys.modules.get("torch")
    return int(torch.cuda.device_count()) if torch is not None and torch.cuda.is_available() else 0


class TrainSettings(QWidget):
    def __init__(self, parent: QWidget | None = None, task: str | None = None):
        super().__init__(parent)
        self.task = task or registry.DEFAULT_TASK
        self.presets = registry.presets(self.task)  # the task's presets: name -> title, help, settings
        self.augment = None  # the AugmentPanel, for a task that augments (set_task)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # a narrow column puts fields under labels
        self.preset = QComboBox()
        self.preset.setObjectName("presetCombo")
        self.preset.setAccessibleName("How thorough")
        self._base = next(iter(self.presets))  # the preset the custom values started from
        self._loading = False
        form.addRow("&How thorough:", self.preset)
        self.preset_help = QLabel()
        self.preset_help.setObjectName("presetHelp")
        self.preset_help.setWordWrap(True)
        self.preset_help.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # wraps, never widens
        form.addRow(self.preset_help)
        self.device = QComboBox()
        self.device.setObjectName("deviceCombo")
        self.device.setToolTip("Where the model learns. A graphics card (GPU) is much faster when there is one.")
        form.addRow("&Device:", self.device)
        # several graphics cards: one training process per card (torchrun, training/distributed.py)
        self.processes = QSpinBox()
        self.processes.setObjectName("processesSpin")
        self.processes.setMinimum(1)
        self.processes.setToolTip("Train on several graphics cards at once: each card learns from its share of "
                                  "every batch, so the result matches one card; the batch size must divide evenly.")
        form.addRow("&Graphics cards:", self.processes)
        self.form = form
        layout.addLayout(form)

        self.advanced = QGroupBox("Advanced")
        self.advanced.setObjectName("advancedBox")
        self.advanced.setCheckable(True)
        self.advanced.setChecked(False)
        self.advanced.setToolTip("Change the preset's settings one by one. Unchecked: the preset decides.")
        adv_form = QFormLayout(self.advanced)
        self.adv_form = adv_form
        adv_form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.fields: dict[str, QWidget] = {}
        for s in SETTINGS:
            widget = _editor(s)
            widget.setToolTip(s.tooltip)
            widget.setObjectName(f"setting_{s.name}")
            self.fields[s.name] = widget
            widget.setAccessibleName(s.label)
            _on_edit(widget, self._edited)
            label = QLabel(s.label + ":")
            label.setToolTip(s.tooltip)
            label.setBuddy(widget)
            adv_form.addRow(label, widget)
        self.advanced.toggled.connect(self._show_advanced)
        self.advanced.toggled.connect(self._edited)
        layout.addWidget(self.advanced)
        layout.addStretch(1)
        self.preset.currentIndexChanged.connect(self._preset_changed)
        self.refresh_devices()
        self._fill_presets()
        self._show_advanced(False)

    def set_task(self, name: str, *, ws=None, project=None) -> None:
        """Offer the task's presets and settings: its augmentation panel (with a preview of the
        project's own pictures) where it augments, no text length where it reads none."""
        from sftgui.qt.widgets.augment_panel import AugmentPanel, preview_inputs

        task = registry.get_task(name)
        if name != self.task:
            self.task = name
            self.presets = registry.presets(name)
            if self.augment is not None:
                self.adv_form.removeRow(self.augment)  # deletes it
                self.augment = None
            if task.augments:
                self.augment = AugmentPanel(task)
                self.adv_form.addRow(self.augment)
                self.fields["seed"].valueChanged.connect(self.augment.set_seed)
            self._fill_presets()
            self._show_advanced(self.advanced.isChecked())
        if self.augment is not None and ws is not None and project is not None:
            self.augment.set_seed(self.fields["seed"].value())
            self.augment.set_source(ws, preview_inputs(ws, project))

    def _fill_presets(self) -> None:
        self.preset.blockSignals(True)
        self.preset.clear()
        for key, preset in self.presets.items():
            self.preset.addItem(preset.title, key)
        # "Custom": what the combo says once an Advanced value differs from the preset's.
        self.preset.addItem(CUSTOM_TITLE, CUSTOM)
        self._base = next(iter(self.presets))
        self.preset.blockSignals(False)
        self._preset_changed()

    def refresh_devices(self) -> None:
        current = self.device.currentData()
        self.device.clear()
        for value, label in devices():
            self.device.addItem(label, value)
        if current:
            self.device.setCurrentIndex(max(0, self.device.findData(current)))
        gpus = gpu_count()
        self.processes.setMaximum(max(1, gpus))
        self.form.setRowVisible(self.processes, gpus > 1)  # only where there is more than one card

    def config(self, **fixed) -> TrainConfig:
        """The TrainConfig these settings describe (UserError with a sentence when a value is wrong)."""
        overrides = self.values() if self.advanced.isChecked() else {}
        if self.processes.maximum() > 1 and self.device.currentData() in ("auto", "cuda"):
            overrides["processes"] = self.processes.value()
        fixed.setdefault("task", self.task)
        return TrainConfig.from_preset(self.preset_key(), **overrides, device=self.device.currentData(), **fixed)

    def preset_key(self) -> str:
        """The preset the settings start from ("Custom" keeps the one it was made from)."""
        key = self.preset.currentData()
        return self._base if key == CUSTOM else key

    def is_custom(self) -> bool:
        return self.preset.currentData() == CUSTOM

    def values(self) -> dict:
        out = {s.name: _read(s, self.fields[s.name]) for s in SETTINGS}
        if self.augment is not None:
            out["augmentation"] = self.augment.values()
        return out

    def _preset_changed(self) -> None:
        key = self.preset.currentData()
        if key is None:
            return
        if key == CUSTOM:  # chosen by hand: the values are edited under Advanced
            self.advanced.setChecked(True)
            self._say_custom()
            return
        self._base = key
        self.preset_help.setText(self.presets[key].help)
        cfg = TrainConfig.from_preset(key, task=self.task).to_dict()
        self._loading = True
        try:
            for s in SETTINGS:
                _write(s, self.fields[s.name], cfg[s.name])
            if self.augment is not None:
                self.augment.set_values(cfg["augmentation"])
        finally:
            self._loading = False

    def _edited(self, *_args) -> None:
        """An Advanced value changed: the combo says "Custom" while the values differ from the
        preset's, and goes back to the preset's name when they match again (or Advanced is off)."""
        if self._loading:
            return
        preset = TrainConfig.from_preset(self._base, task=self.task).to_dict()
        differs = self.advanced.isChecked() and any(
            _read(s, self.fields[s.name]) != _comparable(s, preset[s.name]) for s in SETTINGS)
        target = CUSTOM if differs else self._base
        if self.preset.currentData() != target:
            self.preset.blockSignals(True)
            self.preset.setCurrentIndex(self.preset.findData(target))
            self.preset.blockSignals(False)
        if differs:
            self._say_custom()
        else:
            self.preset_help.setText(self.presets[self._base].help)

    def _say_custom(self) -> None:
        self.preset_help.setText(f"Your own settings, starting from {self.presets[self._base].title}. "
                                 "Choose a preset to go back to its settings.")

    def _shown(self, name: str) -> bool:
        """Whether the task uses this setting (a picture task reads no text length)."""
        return name != "max_length" or registry.get_task(self.task).reads_length

    def _show_advanced(self, on: bool) -> None:
        for s in SETTINGS:
            self.adv_form.setRowVisible(self.fields[s.name], on and self._shown(s.name))
        if self.augment is not None:
            self.adv_form.setRowVisible(self.augment, on)


CUSTOM, CUSTOM_TITLE = "custom", "Custom"


def _on_edit(w: QWidget, slot) -> None:
    signal = {QSpinBox: "valueChanged", QDoubleSpinBox: "valueChanged", QComboBox: "currentIndexChanged",
              QCheckBox: "toggled"}[type(w)]
    getattr(w, signal).connect(slot)


def _comparable(s: Setting, value):
    """A preset's value as the editor reads it back (rounded to its decimals, a choice as text)."""
    if s.kind == "int":
        return int(value)
    if s.kind == "float":
        return round(float(value), s.decimals)
    if s.kind == "choice":
        return str(value)
    return bool(value)


def _editor(s: Setting) -> QWidget:
    if s.kind == "int":
        w = QSpinBox()
        w.setRange(int(s.low), int(s.high))
        if s.name == "max_length":
            w.setSpecialValueText("Automatic")  # 0: chosen from the data (config.AUTO_LENGTH)
    elif s.kind == "float":
        w = QDoubleSpinBox()
        w.setDecimals(s.decimals)
        w.setRange(s.low, s.high)
        w.setSingleStep(10 ** -s.decimals if s.decimals else 1)
    elif s.kind == "choice":
        w = QComboBox()
        w.addItems(list(s.choices))
    else:
        w = QCheckBox()
    return w


def _read(s: Setting, w):
    if s.kind == "int":
        return int(w.value())
    if s.kind == "float":
        return float(w.value())
    if s.kind == "choice":
        return w.currentText()
    return w.isChecked()


def _write(s: Setting, w, value) -> None:
    if s.kind in ("int", "float"):
        w.setValue(value)
    elif s.kind == "choice":
        w.setCurrentIndex(max(0, w.findText(str(value))))
    else:
        w.setChecked(bool(value))
