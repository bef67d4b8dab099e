from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def trained_dir(tmp_path_factory):
    """A tiny BERT folder trained on the keyword rows (labels billing/login/shipping)."""
    from tests.core.evaluation.keywords import train_tiny

    return train_tiny(tmp_path_factory.mktemp("trained-tiny"))


@pytest.fixture(scope="session")
def trained(trained_dir):
    """(model, tokenizer) of `trained_dir`, loaded once."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    return AutoModelForSequenceClassification.from_pretrained(trained_dir).eval(), AutoTokenizer.from_pretrained(trained_dir)


@pytest.fixture
def project(ws):
    """Project "tickets": 300 keyword rows (15% given a wrong label) frozen into a snapshot."""
    from sftgui.core.data.importers import import_rows
    from sftgui.core.data.snapshots import freeze_snapshot
    from sftgui.core.projects import create_project
    from tests.core.evaluation.keywords import make_rows

    project = create_project(ws, "tickets")
    import_rows(ws, project, make_rows(300, seed=7, noise=0.15))
    freeze_snapshot(ws, project, seed=0)
    return project


@pytest.fixture
def version(ws, project, trained):
    """v1 of "tickets": the trained tiny model registered on the project's snapshot."""
    from sftgui.core.data.snapshots import list_snapshots
    from sftgui.core.versions import register_version
    from tests.core.evaluation.keywords import LABELS

    model, tokenizer = trained
    snap = list_snapshots(ws, project)[-1]
    return register_version(
        ws, project, model, tokenizer, labels=LABELS, base_model="tiny-bert", snapshot_id=snap.id,
        config={"epochs": 1, "learning_rate": 0.01, "batch_size": 16, "seed": 0},
    )


@pytest.fixture
def second_version(ws, project, version, trained):
    """v2: v1 with its classifier pushed towards "login", from a run with a loss curve, trained
    on a later snapshot (5 rows added) with another learning rate."""
    import copy

    import torch

    from sftgui.core.data.importers import import_rows
    from sftgui.core.data.snapshots import freeze_snapshot
    from sftgui.core.versions import register_version
    from sftgui.store import runs_repo
    from tests.core.evaluation.keywords import LABELS, make_rows

    model, tokenizer = trained
    pushed = copy.deepcopy(model)
    with torch.no_grad():
        pushed.classifier.bias[LABELS.index("login")] += 6.0
    import_rows(ws, project, make_rows(5, seed=99))
    snap = freeze_snapshot(ws, project, seed=0)
    config = {"epochs": 1, "learning_rate": 0.02, "batch_size": 16, "seed": 0}
    run = runs_repo.create_run(project.id, config=config, snapshot_id=snap.id, status="completed")
    runs_repo.add_metric_points(run.id, [(10, 0.5, "loss", 0.9), (20, 1.0, "loss", 0.4), (20, 1.0, "eval_loss", 0.5)])
    return register_version(
        ws, project, pushed, tokenizer, labels=LABELS, base_model="tiny-bert", snapshot_id=snap.id,
        run_id=run.id, parent_id=version.id, config=config,
    )
