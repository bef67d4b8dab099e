"""Continuing from a version: parent link, a growing label set and the forgetting check."""

from __future__ import annotations

import pytest
import torch

from sftgui.core.training import engine
from sftgui.errors import UserError
from tests.core.training.conftest import TOPICS, Recorder, keyword_rows, tiny_config


def test_continue_from_a_version_grows_the_head_and_checks_forgetting(ws, tiny_model_dir):
    from sftgui.core.data.importers import import_rows
    from sftgui.core.data.snapshots import freeze_snapshot
    from sftgui.core.projects import create_project
    from sftgui.core.versions import load_state_dict

    three = {k: v for k, v in TOPICS.items() if k != "delivery"}
    project = create_project(ws, "tickets")
    import_rows(ws, project, keyword_rows(24, topics=three))
    snap1 = freeze_snapshot(ws, project)
    v1 = engine.run(tiny_config(project, snap1, tiny_model_dir), Recorder()).version
    assert v1.labels == ["account", "billing", "bug"]

    import_rows(ws, project, keyword_rows(24, seed=1, topics={"delivery": TOPICS["delivery"]}))
    snap2 = freeze_snapshot(ws, project)
    result = engine.run(tiny_config(project, snap2, tiny_model_dir, model="v1", epochs=2), Recorder())
    assert result.status == "completed", result.error
    v2 = result.version
    assert v2.parent_id == v1.id and v2.number == 2 and v2.base_model == v1.base_model
    assert v2.labels == ["account", "billing", "bug", "delivery"]  # old ids kept, the new label appended

    forgetting = v2.metrics["forgetting"]
    assert forgetting["parent"] == "tickets@v1" and forgetting["snapshot_id"] == snap1.id
    assert forgetting["before"] == pytest.approx(v1.metrics["accuracy"])
    assert forgetting["rows"] == snap1.split_counts["test"] and 0 <= forgetting["after"] <= 1
    assert forgetting["left_out"] == 0  # splits are kept: none of v1's test rows trained v2
    assert forgetting["sentence"].startswith("accuracy on v1's test data: ") and "->" in forgetting["sentence"]
    assert load_state_dict(ws, v2)["classifier.weight"].shape == (4, 16)


def test_the_widened_head_starts_from_the_parents_rows(ws, tiny_model_dir):
    """Before any training step: the old labels' rows are the parent's, exactly; the new row is fresh."""
    from sftgui.core.catalog import resolve_model
    from sftgui.core.data.importers import import_rows
    from sftgui.core.data.snapshots import freeze_snapshot
    from sftgui.core.projects import create_project
    from sftgui.core.tasks import get_task
    from sftgui.core.versions import load_state_dict

    three = {k: v for k, v in TOPICS.items() if k != "delivery"}
    project = create_project(ws, "tickets")
    import_rows(ws, project, keyword_rows(24, topics=three))
    v1 = engine.run(tiny_config(project, freeze_snapshot(ws, project), tiny_model_dir, epochs=1), Recorder()).version
    parent = load_state_dict(ws, v1)
    source = resolve_model(ws, "v1", project)
    torch.manual_seed(0)
    model = get_task("text-classification").load_model(
        source.folder, [*v1.labels, "delivery"], parent_labels=list(v1.labels))
    head = model.classifier
    assert head.weight.shape == (4, 16) and model.config.num_labels == 4
    assert model.config.id2label == {0: "account", 1: "billing", 2: "bug", 3: "delivery"}
    assert torch.equal(head.weight[:3], parent["classifier.weight"])
    assert torch.equal(head.bias[:3], parent["classifier.bias"])
    assert torch.isfinite(head.weight[3]).all() and not torch.equal(head.weight[3], torch.zeros(16))
    # the rest of the network is the parent's too
    state = model.state_dict()
    assert all(torch.equal(state[k], parent[k]) for k in parent if not k.startswith("classifier."))


def test_continuing_needs_a_version_of_the_same_project(ws, tiny_project, tiny_model_dir):
    from sftgui.core.data.importers import import_rows
    from sftgui.core.data.snapshots import freeze_snapshot
    from sftgui.core.projects import create_project

    project, snapshot = tiny_project
    engine.run(tiny_config(project, snapshot, tiny_model_dir, epochs=1), Recorder())
    other = create_project(ws, "other")
    import_rows(ws, other, keyword_rows(12))
    snap = freeze_snapshot(ws, other)
    with pytest.raises(UserError, match="belongs to another project"):
        engine.run(tiny_config(other, snap, tiny_model_dir, model="tickets@v1"))
    with pytest.raises(UserError, match="no version v7"):
        engine.run(tiny_config(project, snapshot, tiny_model_dir, model="v7"))
