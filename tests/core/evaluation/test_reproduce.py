"""A version's recorded recipe (config, snapshot, seed) trains the same model again."""

from __future__ import annotations

import numpy as np


def test_retraining_with_the_recorded_config_gives_the_same_metrics(ws, tiny_model_dir):
    from sftgui.config import TrainConfig
    from sftgui.core.evaluation import evaluate_version
    from sftgui.core.training import engine
    from sftgui.core.versions import resolve_version
    from tests.core.training.conftest import make_project, tiny_config

    project, snap = make_project(ws, "repro")  # the training tests' learnable keyword data
    first = engine.run(tiny_config(project, snap, tiny_model_dir, seed=5), ws=ws)
    assert first.status == "completed", first.error
    v1 = resolve_version(ws, "repro@v1")

    # what `sftgui versions show repro@v1 --json` prints as `config` is the whole recipe
    recipe = TrainConfig.from_dict(v1.config)
    assert recipe.snapshot_id == snap.id and recipe.seed == 5 and recipe.model == str(tiny_model_dir)
    again = engine.run(recipe, ws=ws)
    assert again.status == "completed", again.error
    v2 = resolve_version(ws, "repro@v2")

    assert v2.metrics["test"] == v1.metrics["test"]
    assert v1.metrics["accuracy"] > 0.4  # 4 labels: it learned something, so equality is not two blank models
    e1, e2 = evaluate_version(ws, v1), evaluate_version(ws, v2)
    assert e1["metrics"] == e2["metrics"]
    np.testing.assert_allclose([r["probs"] for r in e1["rows"]], [r["probs"] for r in e2["rows"]], atol=1e-6)
