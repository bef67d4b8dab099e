"""Shared fixtures: a real workspace on disk and a tiny real model folder."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def ws(tmp_path):
    """An open workspace (real SQLite file and blob folder) in a temp dir."""
    from sftgui.store.db import open_workspace

    workspace = open_workspace(tmp_path / "ws")
    yield workspace
    workspace.close()


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A tiny BERT classifier folder (2 labels) saved with save_pretrained."""
    from tests.tiny import make_tiny_model_dir

    return make_tiny_model_dir(tmp_path_factory.mktemp("tiny-model"))


def pytest_collection_modifyitems(config, items):
    """`cuda`-marked tests run only where torch sees an NVIDIA GPU (benchmarks/gpu.sh runs them)."""
    marked = [item for item in items if item.get_closest_marker("cuda")]
    if not marked:
        return
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="no CUDA GPU on this machine")
    for item in marked:
        item.add_marker(skip)
