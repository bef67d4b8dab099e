"""A third task, defined only here, built only from the task interface and registered through the
registry: text regression (a number per text). It runs end to end through the real code —
import, snapshot, train (the real Trainer on the tiny BERT), version, evaluate, compare, export —
with no file outside this module changed for it. If the seam leaks (a module outside
core/tasks/ that assumes labels, probabilities or accuracy), this test breaks.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from sftgui.core.tasks.base import Metric, Preset, Task
from sftgui.errors import UserError

WORDS = {"great": 2.0, "good": 1.0, "fine": 0.0, "bad": -1.0, "awful": -2.0}
FILLER = "the a it was this my very really so".split()


class TextRegression(Task):
    """How positive a text is, as a number: a sequence model with one output and MSE loss."""

    name = "text-regression"
    title = "Give each text a number (text regression)"
    presets = (Preset("quick", "Quick", "A few epochs.", dict(epochs=4, learning_rate=3e-3, batch_size=8,
                                                              max_length=0, warmup=0.0)),)
    columns = (("text", "string"), ("label", "float64"))
    input_column = "text"
    metrics = (Metric("mse", "Mean squared error", percent=False, higher_is_better=False),
               Metric("mae", "Mean absolute error", percent=False, higher_is_better=False))
    validation_metrics = ("mse", "mae")
    primary_metric = "mse"
    exports = ("hf", "zip")
    processor_name = "tokenizer"

    # -- data ---------------------------------------------------------------------------------------
    def snapshot_row(self, text, label):
        if label is None:
            return None, "unlabelled"
        if not (text or "").strip():
            return None, "empty"
        return (text, float(label)), None

    def stratify_by(self, kept):
        return None  # no classes to balance: a seeded shuffle

    def check_rows(self, rows):
        if not any(s == "train" for s in rows["split"]) or not any(s == "validation" for s in rows["split"]):
            raise UserError("Regression needs training and validation rows.")

    def output_width(self, labels):
        return 1

    # -- model --------------------------------------------------------------------------------------
    def load_processor(self, model_dir):
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(str(model_dir))

    def load_model(self, model_dir, labels, *, parent_labels=None, dropout=None):
        from transformers import AutoModelForSequenceClassification

        return AutoModelForSequenceClassification.from_pretrained(
            str(model_dir), num_labels=1, problem_type="regression", ignore_mismatched_sizes=True)

    def auto_max_length(self, processor, model_dir, rows):
        return 32

    def prepare(self, cache_root, snapshot_hash, model_dir, processor, rows, labels, max_length):
        import datasets

        out = {}
        for split in ("train", "validation", "test"):
            idx = [i for i, s in enumerate(rows["split"]) if s == split]
            if idx:
                enc = processor([rows["text"][i] for i in idx], truncation=True, max_length=int(max_length))
                out[split] = datasets.Dataset.from_dict({**{k: list(v) for k, v in enc.items()},
                                                         "labels": [float(rows["label"][i]) for i in idx],
                                                         "row_id": [int(rows["row_id"][i]) for i in idx]})
        return out, False

    def collator(self, processor):
        from transformers import DataCollatorWithPadding

        return DataCollatorWithPadding(processor)

    def lora_task_type(self):
        from peft import TaskType

        return TaskType.SEQ_CLS

    # -- metrics ------------------------------------------------------------------------------------
    def training_metrics(self, eval_pred, labels):
        preds = eval_pred.predictions[0] if isinstance(eval_pred.predictions, tuple) else eval_pred.predictions
        y = np.asarray(eval_pred.label_ids[0], dtype=np.float64).reshape(-1)
        m = _errors(np.asarray(preds, dtype=np.float64).reshape(-1), y)
        return {**m, "select_mse": m["mse"], "select_mae": m["mae"]}, {}

    def checkpoint_metric(self, name):
        return ("eval_loss", False) if name == "loss" else (f"eval_{name}", False)  # errors: lower is better

    # -- versions -----------------------------------------------------------------------------------
    def model_files(self, model, processor, labels):
        import tempfile

        files = {"config.json": json.dumps(model.config.to_dict(), sort_keys=True).encode()}
        with tempfile.TemporaryDirectory() as tmp:
            processor.save_pretrained(tmp)
            files.update({p.name: p.read_bytes() for p in Path(tmp).iterdir() if p.is_file()})
        return files

    def load_version(self, folder, state):
        import transformers

        config = transformers.AutoConfig.from_pretrained(str(folder))
        model = getattr(transformers, config.architectures[0])(config)
        model.load_state_dict(state, strict=True, assign=True)
        return model.eval(), transformers.AutoTokenizer.from_pretrained(str(folder))

    # -- prediction ---------------------------------------------------------------------------------
    def predict(self, model, processor, inputs, *, max_length=None):
        import torch

        if not len(inputs):
            return np.zeros((0, 1))
        model.eval()
        with torch.inference_mode():
            enc = processor(list(inputs), padding=True, truncation=True, max_length=max_length or 32,
                            return_tensors="pt")
            return model(**{k: v.to(model.device) for k, v in enc.items()}).logits.float().cpu().numpy()

    def score(self, rows, labels, outputs):
        values = np.asarray(outputs, dtype=np.float64).reshape(-1)
        y = np.asarray([float(r["label"]) for r in rows], dtype=np.float64)
        out_rows = [{"row_id": int(r["row_id"]), "text": r["text"], "label": float(r["label"]),
                     "predicted": float(v), "probs": [round(float(v), 6)]} for r, v in zip(rows, values)]
        worst = sorted(out_rows, key=lambda r: -abs(r["predicted"] - r["label"]))[:5]
        return {"format": 1, "labels": [], "classes": [], "metrics": {**_errors(values, y), "examples": len(rows)},
                "mistakes": worst, "rows": out_rows}

    def prediction_rows(self, result_rows):
        return [{k: r[k] for k in ("row_id", "text", "label", "predicted", "probs")} for r in result_rows]

    def prediction_diff(self, before, after, *, examples):
        after_by_id = {r["row_id"]: r for r in after}
        out = {"closer": 0, "further": 0, "same": 0}
        for b in before:
            a = after_by_id.get(b["row_id"])
            if a is not None:
                was, now = abs(b["predicted"] - b["label"]), abs(a["predicted"] - b["label"])
                out["closer" if now < was - 1e-9 else "further" if now > was + 1e-9 else "same"] += 1
        return {**out, "compared": sum(out.values())}

    # -- export and card ----------------------------------------------------------------------------
    def card_sections(self, facts):
        m = facts.get("metrics") or {}
        return {"pipeline_tag": "text-classification",
                "summary": f"A text regressor from `{facts.get('base_model')}`: one number per text.",
                "usage": ["Load it with AutoModelForSequenceClassification; the single logit is the number."],
                "evaluation": [f"Mean squared error on {m.get('examples', '?')} test texts: {m.get('mse')}.", ""],
                "limitations": ["- Only for texts like the ones it was trained on."]}


def _errors(pred: np.ndarray, y: np.ndarray) -> dict:
    diff = pred - y
    return {"mse": float(np.mean(diff ** 2)) if len(y) else 0.0, "mae": float(np.mean(np.abs(diff))) if len(y) else 0.0}


def _rows(n: int, seed: int = 0) -> list[tuple[str, float]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        word = rng.choice(list(WORDS))
        body = [word] + rng.sample(FILLER, rng.randint(1, 4))
        rng.shuffle(body)
        out.append((" ".join(body), WORDS[word]))
    return out


@pytest.fixture
def regression():
    from sftgui.core.tasks import registry

    task = registry.register(TextRegression())
    yield task
    registry.unregister(task.name)


def test_a_third_task_runs_end_to_end_through_the_interface(ws, tiny_model_dir, tmp_path, regression):
    from sftgui.config import TrainConfig
    from sftgui.core import projects, versions
    from sftgui.core.compare import compare_versions
    from sftgui.core.data.importers import import_file
    from sftgui.core.data.snapshots import freeze_snapshot, load_snapshot_table
    from sftgui.core.evaluation import evaluate_version
    from sftgui.core.export import export_version, verify_manifest
    from sftgui.core.tasks import registry
    from sftgui.core.training import engine

    # the registry lists it for config, CLI and GUI
    assert registry.titles()["text-regression"] == TextRegression.title
    assert list(registry.presets("text-regression")) == ["quick"]

    # import: a CSV of text and a number, through the ordinary importer
    csv = tmp_path / "scores.csv"
    csv.write_text("text,label\n" + "".join(f"{t},{v}\n" for t, v in _rows(120)), encoding="utf-8")
    project = projects.create_project(ws, "scores", "text-regression")
    assert import_file(ws, project, csv).rows == 120
    snapshot = freeze_snapshot(ws, project)
    table = load_snapshot_table(ws, snapshot.id)
    assert table.schema.field("label").type == "double"  # the task's row schema, not text labels
    assert sorted(snapshot.split_counts) == ["test", "train", "validation"]

    # train twice (two seeds): the real Trainer, the task's data, loss and metrics
    def train(seed):
        config = TrainConfig.from_preset("quick", task="text-regression", project="scores", model=str(tiny_model_dir),
                                         snapshot_id=snapshot.id, seed=seed, log_steps=2)
        assert config.early_stopping_metric == "mse"  # the task's primary metric
        result = engine.run(config, ws=ws)
        assert result.status == "completed", result.error
        return result

    first, second = train(1), train(2)
    v1, v2 = first.version, second.version
    assert set(v1.metrics["test"]) >= {"mse", "mae"} and v1.metrics["mse"] == v1.metrics["test"]["mse"]
    assert v1.metrics["validation"]["loss"] is not None and "mse" in v1.metrics["validation"]
    baseline = float(np.var(table.column("label").to_numpy()))
    assert v1.metrics["mse"] < baseline  # it learned: better than always answering the mean

    # version: stored predictions are what the loaded version predicts (one prediction path)
    model, tok = versions.load_version(ws, v1)
    stored = versions.read_predictions(ws, v1)["rows"]
    fresh = regression.predict(model, tok, [r["text"] for r in stored])
    np.testing.assert_allclose([r["probs"][0] for r in stored], fresh[:, 0], atol=1e-5)
    assert evaluate_version(ws, v1)["metrics"]["mse"] == pytest.approx(v1.metrics["mse"], abs=1e-5)  # stored: 6 digits

    # compare: the task's columns and per-example diff
    out = compare_versions(ws, [v1, v2])
    assert out["task"] == "text-regression" and out["versions"] == [v1.ref, v2.ref]
    assert set(out["metrics"][v2.ref]["delta"]) == {"mse", "mae"}
    diff = out["prediction_diff"]
    assert diff["compared"] == out["test_set"]["examples"] == diff["closer"] + diff["further"] + diff["same"]
    assert out["confusion"] == {}

    # export: hf works with the task's card; a format the task does not offer is refused
    folder = export_version(ws, v1, tmp_path / "exported", fmt="hf")
    assert verify_manifest(folder) == []
    assert "A text regressor" in (folder / "README.md").read_text(encoding="utf-8")
    with pytest.raises(UserError, match="use one of hf, zip"):
        export_version(ws, v1, tmp_path / "as-onnx", fmt="onnx")
    assert not (tmp_path / "as-onnx").exists()
