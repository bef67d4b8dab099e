"""End to end on the real bundled model (all-MiniLM-L6-v2): a few dozen rows, one epoch."""

from __future__ import annotations

import pytest

from sftgui.config import TrainConfig
from sftgui.core import events as ev
from sftgui.core.training import engine
from tests.core.training.conftest import Recorder, keyword_rows, make_project


@pytest.mark.slow
def test_the_bundled_model_trains_and_registers_a_version(ws):
    from sftgui.core.training.hardware import pick_hardware
    from sftgui.core.versions import load_version, read_predictions

    project, snapshot = make_project(ws, rows=keyword_rows(12))
    config = TrainConfig.from_preset("quick", project=project.name, snapshot_id=snapshot.id, epochs=1,
                                     max_length=32, batch_size=8)
    rec = Recorder()
    result = engine.run(config, rec)
    assert result.status == "completed", result.error
    start = rec.of(ev.Started)[0]
    assert start.precision == pick_hardware().precision and start.total_steps == -(-snapshot.split_counts["train"] // 8)
    version = result.version
    assert version.base_model == "bundled:all-MiniLM-L6-v2" and version.labels == list(start.labels)
    assert len(read_predictions(ws, version)["rows"]) == snapshot.split_counts["test"]
    model, _ = load_version(ws, version)
    assert model.config.num_labels == 4 and sum(p.numel() for p in model.parameters()) > 22_000_000
