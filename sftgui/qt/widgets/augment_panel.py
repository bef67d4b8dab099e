"""The augmentation choices of a task that `augments` (pictures): one editor per setting the task
offers (`Task.augmentation_choices`), with a preview of a few of the project's own pictures varied
as training would vary them with these settings and the run's seed (`Task.augmentation_preview`).

The Train settings host it inside Advanced, so it follows the same rule as every Advanced field:
unchecked, the preset's augmentation holds; checked, these values go into the run's config
(`TrainConfig.augmentation`), which the version keeps.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

PREVIEW = 6  # thumbnails shown
PREVIEW_DELAY_MS = 150  # redraw once typing in a spin box pauses


def preview_inputs(ws, project, n: int = PREVIEW) -> list[str]:
    """Up to `n` of the project's inputs for the preview: one of each label first, then the next ones."""
    from sftgui.core.data import labelling

    rows = labelling.fetch_rows(ws, project, limit=200)
    chosen, seen = [], set()
    for r in rows:
        if r.label not in seen:
            seen.add(r.label)
            chosen.append(r)
    chosen += [r for r in rows if r not in chosen]
    return [r.text for r in chosen[:n]]


class AugmentPanel(QGroupBox):
    changed = Signal()

    def __init__(self, task, parent: QWidget | None = None):
        super().__init__("Varied copies of the training pictures", parent)
        self.setObjectName("augmentPanel")
        self.setToolTip("Training sees slightly changed copies of each picture (mirrored, turned, cropped...), "
                        "so the model learns the things that matter, not the exact pixels. Test pictures are "
                        "never changed.")
        self.task = task
        self.ws = None
        self.inputs: list[str] = []
        self.seed = 42
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.fields: dict[str, QWidget] = {}
        for name, title, meaning, low, high, _default in task.augmentation_choices():
            if low is None:
                w = QCheckBox()
                w.toggled.connect(self._changed)
            else:
                w = QDoubleSpinBox()
                w.setDecimals(0 if high > 10 else 2)
                w.setRange(low, high)
                w.setSingleStep(1 if high > 10 else 0.05)
                w.valueChanged.connect(self._changed)
            w.setObjectName(f"augment_{name}")
            w.setToolTip(meaning[:1].upper() + meaning[1:] + ".")
            label = QLabel(title + ":")
            label.setToolTip(w.toolTip())
            label.setBuddy(w)
            form.addRow(label, w)
            self.fields[name] = w
        layout.addLayout(form)
        self.summary = QLabel()
        self.summary.setObjectName("augmentSummary")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        grid = QGridLayout()
        self.thumbs: list[QLabel] = []
        for i in range(PREVIEW):
            thumb = QLabel()
            thumb.setObjectName(f"augmentThumb{i}")
            thumb.setFixedSize(96, 96)
            thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
            thumb.setStyleSheet("border: 1px solid palette(mid);")
            grid.addWidget(thumb, i // 3, i % 3)
            self.thumbs.append(thumb)
        self.preview_box = QWidget()
        self.preview_box.setObjectName("augmentPreview")
        self.preview_box.setLayout(grid)
        layout.addWidget(self.preview_box)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self.update_preview)
        self._loading = False

    # -- values ---------------------------------------------------------------------------------
    def values(self) -> dict:
        """The settings as TrainConfig.augmentation holds them (settings at zero are left out)."""
        out = {}
        for name, w in self.fields.items():
            if isinstance(w, QCheckBox):
                if w.isChecked():
                    out[name] = True
            elif name == "crop":
                if w.value() < 1:
                    out[name] = float(w.value())
            elif w.value() > 0:
                out[name] = float(w.value())
        return out

    def set_values(self, settings: dict | None) -> None:
        settings = settings or {}
        self._loading = True
        try:
            for name, w in self.fields.items():
                if isinstance(w, QCheckBox):
                    w.setChecked(bool(settings.get(name)))
                else:
                    w.setValue(float(settings.get(name, 1.0 if name == "crop" else 0.0)))
        finally:
            self._loading = False
        self._changed()

    # -- the preview ----------------------------------------------------------------------------
    def set_source(self, ws, inputs: list[str]) -> None:
        """The pictures the preview varies (the project's own)."""
        self.ws, self.inputs = ws, list(inputs)[:PREVIEW]
        self._timer.start()

    def set_seed(self, seed: int) -> None:
        if seed != self.seed:
            self.seed = seed
            self._timer.start()

    def _changed(self, *_):
        if self._loading:
            return
        self.summary.setText(self._sentence(self.values()))
        self._timer.start()
        self.changed.emit()

    def _sentence(self, settings: dict) -> str:
        if not settings:
            return "No variations: training uses the pictures as they are."
        return "Each epoch, every training picture is seen with a new random variation, like these:"

    def update_preview(self) -> None:
        """Redraw the thumbnails (a few 96-pixel pictures: milliseconds, on the GUI thread)."""
        self._timer.stop()
        shown = []
        if self.ws is not None and self.inputs:
            try:
                shown = self.task.augmentation_preview(self.ws, self.inputs, self.values(), self.seed)
            except Exception:  # noqa: BLE001 - an unreadable picture leaves the preview empty, never a crash
                shown = []
        for i, thumb in enumerate(self.thumbs):
            pix = QPixmap()
            if i < len(shown):
                pix.loadFromData(shown[i], "PNG")
            thumb.setPixmap(pix)
            thumb.setVisible(i < len(shown))
        self.preview_box.setVisible(bool(shown))

    def shown(self) -> int:
        """How many thumbnails the preview shows now."""
        return sum(1 for t in self.thumbs if not t.isHidden() and t.pixmap() is not None and not t.pixmap().isNull())
