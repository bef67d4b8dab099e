"""Help > About: version, workspace folder and the versions of the libraries doing the work."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from sftgui import __version__

LIBRARIES = ("torch", "transformers", "datasets", "peft", "accelerate", "PySide6", "pyqtgraph", "onnxruntime")


def library_versions() -> dict[str, str]:
    """From package metadata, so About never has to import torch."""
    out = {}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            try:
                out[name] = metadata.version(f"{name}-Essentials")
            except metadata.PackageNotFoundError:
                out[name] = "not installed"
    return out


def about_text(workspace: Path | None) -> str:
    rows = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in library_versions().items())
    return (
        f"<h3>sftgui {__version__}</h3>"
        "<p>Fine-tune a pre-trained model on your own labelled data and keep every result as a version.</p>"
        f"<p>Workspace: {workspace or 'none open'}</p>"
        f"<table>{rows}</table>"
    )


def show_about(parent: QWidget, workspace: Path | None) -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.Information, "About sftgui", about_text(workspace),
                      QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("aboutDialog")
    box.open()
    return box
