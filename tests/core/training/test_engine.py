"""engine.run on a tiny real model: events, the version it registers, failures and refusals."""

from __future__ import annotations

import numpy as np
import pytest

from sftgui.core import events as ev
from sftgui.core.training import engine
from sftgui.errors import UserError
from sftgui.store import runs_repo
from tests.core.training.conftest import Recorder, at_step, keyword_rows, make_project, tiny_config


LEARNS = 2


def test_events_in_order_and_a_complete_version(ws, tiny_project, tiny_model_dir):
    from sftgui.core.versions import read_predictions

    project, snapshot = tiny_project
    rec = Recorder()
    # The tiny model leaves its chance-level plateau within 30 steps for some seeds only (seed 1
    # stays on it under the current dropout stream; 3 of 8 seeds do), so these tests pick seed 2.
    result = engine.run(tiny_config(project, snapshot, tiny_model_dir, seed=LEARNS), rec)

    assert result.status == "completed", result.error
    names = rec.names()
    assert names[0] == "Preparing"
    assert names[-1] == "Finished"
    started = names.index("Started")
    assert started < names.index("StepLogged") < names.index("Evaluated") < names.index("CheckpointSaved")
    start = rec.of(ev.Started)[0]
    assert start.total_steps == 3 * -(-snapshot.split_counts["train"] // 8) and start.device == "cpu" and start.labels == ("account", "billing", "bug", "delivery")
    assert any("dynamic padding" in s for s in start.fast_paths)
    steps = [e.step for e in rec.of(ev.StepLogged)]
    assert steps == sorted(steps) and steps[-1] == start.total_steps
    assert all(e.loss is not None and e.elapsed_s >= 0 for e in rec.of(ev.StepLogged))
    assert len(rec.of(ev.Evaluated)) >= 3 and set(rec.of(ev.Evaluated)[0].per_class) == set(start.labels)
    assert rec.of(ev.ResourceUse)[0].process_ram_bytes > 0

    version = result.version
    assert version.ref == "tickets@v1" and version.run_id == result.run_id and version.snapshot_id == snapshot.id
    m = version.metrics
    assert m["accuracy"] == m["test"]["accuracy"] and 0 <= m["accuracy"] <= 1
    assert np.asarray(m["test"]["confusion_matrix"]).sum() == snapshot.split_counts["test"]
    assert m["validation"]["loss"] is not None and m["training"]["seed"] == LEARNS
    # it learned: 4 classes, so chance is 25% accuracy and a loss of ln 4 = 1.39 (8 test rows only)
    assert m["accuracy"] >= 0.5 and m["validation"]["loss"] < 1.0

    preds = read_predictions(ws, version)
    assert preds["labels"] == list(start.labels) and preds["snapshot_id"] == snapshot.id
    assert len(preds["rows"]) == snapshot.split_counts["test"]
    assert all(abs(sum(r["probs"]) - 1) < 1e-4 for r in preds["rows"])

    run = runs_repo.get_run(result.run_id)
    assert run.status == "completed" and run.device == "cpu" and run.wall_s > 0
    assert run.environment["libraries"]["transformers"]
    assert {p.name for p in runs_repo.metric_points(run.id)} >= {"loss", "learning_rate", "eval_accuracy"}
    assert not engine.run_dir(ws, run.id).exists()  # checkpoints go once the version holds the weights


def test_tokenization_is_cached_on_disk(ws, tiny_project, tiny_model_dir):
    project, snapshot = tiny_project
    first, second = Recorder(), Recorder()
    engine.run(tiny_config(project, snapshot, tiny_model_dir, epochs=1), first)
    engine.run(tiny_config(project, snapshot, tiny_model_dir, epochs=1), second)
    assert any("cached for the next run" in s for s in first.of(ev.Started)[0].fast_paths)
    assert any("reused from the cache" in s for s in second.of(ev.Started)[0].fast_paths)
    assert len(list((ws.cache / "tokenized").iterdir())) == 1


def test_predictions_are_matched_by_row_id_under_group_by_length(ws, tiny_project, tiny_model_dir):
    """group_by_length reorders trainer.predict's output; rows must still get their own prediction.
    Training predicts its test rows through the task's one prediction path, so the stored
    predictions are what the registered version predicts."""
    import torch

    from sftgui.core.tasks import get_task
    from sftgui.core.versions import load_version, read_predictions

    project, snapshot = tiny_project
    result = engine.run(tiny_config(project, snapshot, tiny_model_dir, group_by_length=True, seed=LEARNS), Recorder())
    assert result.version.config["group_by_length"] is True
    model, tokenizer = load_version(ws, result.version)
    stored = read_predictions(ws, result.version)["rows"]
    assert len({r["predicted"] for r in stored}) > 1  # a constant model would hide a mix-up
    for row in stored:
        with torch.no_grad():
            logits = model(**tokenizer(row["text"], return_tensors="pt", truncation=True, max_length=32)).logits
        probs = torch.softmax(logits.float(), -1)[0].numpy()
        assert np.allclose(probs, row["probs"], atol=1e-5), row  # the same path, the same numbers
        assert result.version.labels[int(probs.argmax())] == row["predicted"]

    # The trap is real: with length grouping the Trainer returns rows out of order.
    from transformers import TrainingArguments

    from sftgui.core.training.trainer import RowIdTrainer

    task = get_task("text-classification")
    rows = {"row_id": list(range(100, 164)), "text": [" ".join(["card"] * (1 + (i * 7) % 20)) for i in range(64)],
            "label": ["billing"] * 64, "split": ["test"] * 64}
    data, _ = task.prepare(ws.cache, "trap", tiny_model_dir, tokenizer, rows, ["billing", "bug"], 32)
    args = TrainingArguments(output_dir=str(ws.cache / "trap"), per_device_eval_batch_size=8, use_cpu=True,
                             train_sampling_strategy="group_by_length", remove_unused_columns=False,
                             label_names=["labels", "row_id"], report_to="none")
    trainer = RowIdTrainer(model=model, args=args, data_collator=task.collator(tokenizer))
    order = np.asarray(trainer.predict(data["test"]).label_ids[1]).tolist()
    assert sorted(order) == rows["row_id"] and order != rows["row_id"]
    got = task.predict(model, tokenizer, rows["text"], max_length=32)  # batched by length, put back by index
    for text, probs in zip(rows["text"], got):
        with torch.no_grad():
            want = torch.softmax(model(**tokenizer(text, return_tensors="pt")).logits, -1)[0].numpy()
        assert np.allclose(probs, want, atol=1e-5)


def test_an_exception_in_a_callback_fails_the_run_and_makes_no_version(ws, tiny_project, tiny_model_dir):
    from sftgui.core.versions import list_versions

    project, snapshot = tiny_project

    def boom():
        raise RuntimeError("disk on fire")

    rec = Recorder()
    result = engine.run(tiny_config(project, snapshot, tiny_model_dir, log_steps=1), rec, callbacks=[at_step(4, boom)])
    assert result.status == "failed" and "disk on fire" in result.error
    assert rec.names()[-1] == "Failed" and rec.of(ev.Failed)[0].message == result.error
    assert list_versions(ws, project) == []
    run = runs_repo.get_run(result.run_id)
    assert run.status == "failed" and run.error == result.error
    assert "RuntimeError: disk on fire" in open(run.log_path, encoding="utf-8").read()
    assert [p.step for p in runs_repo.metric_points(run.id, "loss")] == [1, 2, 3]  # the curve up to the failure is kept


@pytest.mark.parametrize(
    "rows, words",
    [
        ([{"text": f"card {i}", "label": "billing"} for i in range(20)], "at least 2 different labels"),
        # the second label only outside the training rows: nothing to learn it from
        ([{"text": f"card {i}", "label": "billing", "split": "train"} for i in range(20)]
         + [{"text": f"bug {i}", "label": "bug", "split": s} for i, s in enumerate(["validation", "test"] * 3)],
         "at least 2 different labels in the training rows"),
    ],
)
def test_refuses_untrainable_snapshots_before_writing_a_run(ws, tiny_model_dir, rows, words):
    from sftgui.config import TrainConfig

    project, snapshot = make_project(ws, rows=rows)
    with pytest.raises(UserError, match=words):
        engine.run(TrainConfig(project=project.name, snapshot_id=snapshot.id, model=str(tiny_model_dir)))
    assert runs_repo.list_runs(project.id) == []


def test_class_weights_and_label_smoothing_train(ws, tiny_model_dir):
    rows = keyword_rows(40)
    rows = [r for r in rows if r["label"] != "bug"] + [r for r in rows if r["label"] == "bug"][:8]
    project, snapshot = make_project(ws, rows=rows)
    result = engine.run(tiny_config(project, snapshot, tiny_model_dir, class_weights="balanced",
                                    label_smoothing=0.1, epochs=2), Recorder())
    assert result.status == "completed", result.error
    assert runs_repo.get_run(result.run_id).config["class_weights"] == "balanced"


def test_the_best_checkpoint_breaks_ties_by_validation_loss(ws, tiny_project, tiny_model_dir):
    """Equal F1 at two evaluations is common on small validation sets: the kept model must be
    the one with the lower validation loss, not simply the earliest."""
    project, snapshot = tiny_project
    rec = Recorder()
    result = engine.run(tiny_config(project, snapshot, tiny_model_dir, epochs=5), rec)
    assert result.status == "completed", result.error
    per_epoch = rec.of(ev.Evaluated)[:-1]  # the last one re-measures the model that was kept
    best = max(per_epoch, key=lambda e: (e.metrics["macro_f1"], -e.loss))
    kept = result.version.metrics["validation"]
    assert kept["macro_f1"] == pytest.approx(best.metrics["macro_f1"])
    assert kept["loss"] == pytest.approx(best.loss, rel=1e-4)


def test_automatic_max_length_fits_the_texts_and_is_recorded(ws, tiny_model_dir):
    """Max length 0 (every preset's default) becomes the 95th percentile of the training texts'
    token counts, rounded up to 16, and the version records the number it trained with."""
    from transformers import AutoTokenizer

    rows = keyword_rows()
    rows += [{"text": " ".join(["refund money charge"] * 6), "label": "billing"} for _ in range(3)]
    project, snapshot = make_project(ws, "lengths", rows)
    result = engine.run(tiny_config(project, snapshot, tiny_model_dir, max_length=0, epochs=1), Recorder())
    assert result.status == "completed", result.error
    recorded = result.version.config
    assert recorded["extra"]["max_length"] == "auto"
    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    from sftgui.core.data.snapshots import load_snapshot_table

    table = load_snapshot_table(ws, snapshot.id).to_pydict()
    train = [t for t, s in zip(table["text"], table["split"]) if s == "train"]
    p95 = np.quantile([len(tok(t)["input_ids"]) for t in train], 0.95)
    assert recorded["max_length"] == min(64, int(np.ceil(p95 / 16) * 16))  # the tiny model reads 64 at most
    assert runs_repo.get_run(result.run_id).config["max_length"] == recorded["max_length"]


def test_length_grouping_is_automatic_by_training_set_size(ws, tiny_project, tiny_model_dir):
    project, snapshot = tiny_project  # 96 rows: below the threshold, so plain random order
    rec = Recorder()
    result = engine.run(tiny_config(project, snapshot, tiny_model_dir, epochs=1, group_by_length="auto"), rec)
    assert result.version.config["group_by_length"] is False
    assert result.version.config["extra"]["group_by_length"] == "auto"
    assert any("length-grouped batches: off" in s for s in rec.of(ev.Started)[0].fast_paths)
