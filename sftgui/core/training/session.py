"""One training attempt around the Hugging Face Trainer: build, train (with the out-of-memory
retry), then turn the best checkpoint into a model version with its metrics and predictions."""

from __future__ import annotations

import gc
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sftgui.core import events as ev
from sftgui.core.metrics import classification_metrics
from sftgui.errors import UserError
from sftgui.store import runs_repo


@dataclass(frozen=True)
class Outcome:
    stopped: bool
    step: int


def predict_by_row_id(trainer, dataset) -> dict[int, np.ndarray]:
    """row_id -> class probabilities. The Trainer may return rows in another order (length-grouped
    sampling), so the row ids that travelled with each batch say which row each prediction is."""
    out = trainer.predict(dataset)
    logits = out.predictions[0] if isinstance(out.predictions, tuple) else out.predictions
    _, row_ids = out.label_ids
    logits = logits.astype(np.float64)
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    return {int(r): probs[i] for i, r in enumerate(np.asarray(row_ids).reshape(-1))}


class TrainingSession:
    def __init__(self, prep, run_id: int, emit, cancel, callbacks, out_dir: Path):
        from sftgui.core.training.hardware import pick_hardware

        self.prep, self.config, self.run_id = prep, prep.config, run_id
        self.emit_outer, self.cancel, self.extra_callbacks = emit, cancel, list(callbacks)
        self.out_dir = Path(out_dir)
        self.hw = pick_hardware(self.config.device, self.config.precision)
        self.batch, self.accum = self.config.batch_size, self.config.grad_accumulation
        self.trainer = self.bridge = None
        self.samples_per_second = None
        self.eval_details: dict = {}
        self._emit(ev.Preparing(run_id, "Loading the tokenizer"))
        self.tokenizer = prep.task.load_tokenizer(prep.source.folder)
        self._emit(ev.Preparing(run_id, f"Preparing {len(prep.rows['row_id']):,} rows"))
        self.data, self.cache_hit = self._load_data()

    def _load_data(self):
        """({split: tokenized dataset}, cache_hit); a distributed worker reads what its coordinator prepared."""
        prep = self.prep
        return prep.task.tokenized(prep.ws.cache, prep.snapshot.hash, prep.source.folder, self.tokenizer, prep.rows,
                                   prep.labels, self.config.max_length)

    # -- events and curves ------------------------------------------------------------------
    def _emit(self, event) -> None:
        if isinstance(event, (ev.Evaluated, ev.CheckpointSaved)):
            self.flush_points()  # curves survive a crash up to the last evaluation/checkpoint
        if isinstance(event, ev.CheckpointSaved):
            runs_repo.update_run(self.run_id, last_step=event.step)
        self.emit_outer(event)

    def flush_points(self) -> None:
        if self.bridge is not None and self.bridge.points:
            points, self.bridge.points = self.bridge.points, []
            runs_repo.add_metric_points(self.run_id, points)

    def run_fields(self) -> dict:
        config = self.config.replace(batch_size=self.batch, grad_accumulation=self.accum)
        return {"device": self.hw.device, "precision": self.hw.precision, "config": config.to_dict(),
                "train_samples_per_second": self.samples_per_second}

    # -- building the Trainer ------------------------------------------------------------------
    def _build(self) -> None:
        import torch
        from transformers import EarlyStoppingCallback, set_seed
        from transformers.trainer_callback import PrinterCallback, ProgressCallback
        from transformers.utils import logging as hf_logging

        from sftgui.core.training.adapt import apply_freeze, apply_lora
        from sftgui.core.training.args import build_training_args
        from sftgui.core.training.callbacks import BridgeCallback
        from sftgui.core.training.fast_dropout import use_fast_dropout
        from sftgui.core.training.hardware import fast_path_sentences
        from sftgui.core.training.trainer import RowIdTrainer, weighted_loss

        cfg, prep = self.config, self.prep
        hf_logging.disable_progress_bar()  # "Writing model shards" bars on stderr at every checkpoint
        set_seed(cfg.seed)  # the new head's initial weights depend on it
        self._emit(ev.Preparing(self.run_id, "Loading the model"))
        model = prep.task.load_model(prep.source.folder, prep.labels, parent_labels=prep.parent_labels,
                                     dropout=cfg.dropout)
        if cfg.lora:
            model = apply_lora(model, r=cfg.lora_r, alpha=cfg.lora_alpha, dropout=cfg.lora_dropout)
        else:
            apply_freeze(model, cfg.freeze)
        fast_dropout = use_fast_dropout(model) if self.hw.device == "cpu" else []
        args = build_training_args(cfg, self.out_dir, self.hw, n_train=len(self.data["train"]),
                                   batch_size=self.batch, grad_accumulation=self.accum)
        started = dict(epochs=float(cfg.epochs), device=self.hw.device, precision=self.hw.precision,
                       fast_paths=fast_path_sentences(self.hw, group_by_length=cfg.group_by_length,
                                                      cache_hit=self.cache_hit, fast_dropout=bool(fast_dropout)),
                       train_rows=len(self.data["train"]), validation_rows=len(self.data["validation"]),
                       batch_size=self.batch, grad_accumulation=self.accum, labels=tuple(prep.labels))
        self.bridge = BridgeCallback(self.run_id, self._emit, self.cancel,
                                     cancel_file=self.out_dir / "cancel",
                                     effective_batch=self.batch * self.accum,
                                     eval_details=self.eval_details, started=started)
        callbacks = [self.bridge]
        if cfg.early_stopping:
            callbacks.append(EarlyStoppingCallback(cfg.early_stopping_patience, cfg.early_stopping_threshold))
        loss_func = None
        weights = self._class_weights()
        if weights is not None:
            loss_func = weighted_loss(torch.tensor(weights, dtype=torch.float32), cfg.label_smoothing)
        self.trainer = RowIdTrainer(
            model=model, args=args, train_dataset=self.data["train"], eval_dataset=self.data["validation"],
            processing_class=self.tokenizer, data_collator=prep.task.collator(self.tokenizer),
            compute_metrics=self._compute_metrics, callbacks=callbacks + self.extra_callbacks,
            compute_loss_func=loss_func, group_by_length=bool(cfg.group_by_length))
        # Our events are the progress report: no Trainer printing on stdout (it would break --json).
        self.trainer.remove_callback(PrinterCallback)
        self.trainer.remove_callback(ProgressCallback)

    def _compute_metrics(self, p) -> dict:
        logits = p.predictions[0] if isinstance(p.predictions, tuple) else p.predictions
        labels, _row_ids = p.label_ids
        m = classification_metrics(np.asarray(labels).reshape(-1), logits.argmax(axis=-1), self.prep.labels)
        self.eval_details.clear()
        self.eval_details.update(m)
        # Ties in accuracy/F1 are common on small validation sets: break them by the loss, so the
        # best checkpoint is the most confident of the equally accurate ones, not the earliest.
        loss = min(_cross_entropy(logits, np.asarray(labels).reshape(-1)), 100.0)
        return {"accuracy": m["accuracy"], "macro_f1": m["macro_f1"],
                "select_accuracy": m["accuracy"] - 1e-6 * loss, "select_macro_f1": m["macro_f1"] - 1e-6 * loss}

    def _class_weights(self) -> list[float] | None:
        cw, labels = self.config.class_weights, self.prep.labels
        if cw == "none":
            return None
        if isinstance(cw, dict):
            unknown = sorted(set(cw) - set(labels))
            if unknown:
                raise UserError(f"Class weights name labels that are not in the data: {', '.join(unknown)}.")
            return [float(cw.get(lab, 1.0)) for lab in labels]
        counts = np.bincount(np.asarray(self.data["train"]["labels"]), minlength=len(labels)).astype(float)
        present = counts > 0
        weights = np.ones(len(labels))
        weights[present] = counts[present].sum() / (present.sum() * counts[present])  # "balanced"
        return weights.tolist()

    # -- training with the out-of-memory retry --------------------------------------------------
    def train(self, resume_from: str | None = None) -> Outcome:
        import torch

        while True:
            self._build()
            try:
                result = self.trainer.train(resume_from_checkpoint=resume_from)
                break
            except torch.OutOfMemoryError:
                self.bridge.points = []  # this attempt's curve is replaced by the retry's
                self.release()
                self._smaller_batch()
        self.samples_per_second = result.metrics.get("train_samples_per_second")
        return Outcome(stopped=self.bridge.stopped, step=self.trainer.state.global_step)

    def _smaller_batch(self) -> None:
        """After running out of memory: half the batch, twice the accumulation (same effective batch)."""
        self.batch, self.accum = smaller_batch(self.hw.device, self.batch, self.accum)
        self._emit(ev.Retrying(self.run_id, batch_size=self.batch, grad_accumulation=self.accum,
                               reason="Out of memory: trying again with a smaller batch."))

    def release(self) -> None:
        import torch

        self.trainer = None
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    # -- the version ---------------------------------------------------------------------------
    def finish(self, wall_s: float):
        """Evaluate the best model, predict the test rows, check forgetting, register the version."""
        metrics, predictions, model = self.measure(wall_s)
        version = register_result(self.prep, self.run_id, model, self.tokenizer, config=self.run_fields()["config"],
                                  metrics=metrics, predictions=predictions)
        return version, metrics

    def measure(self, wall_s: float):
        """(metrics, test predictions, the best model merged and on the CPU); every distributed rank runs it."""
        from sftgui.core.training.adapt import merge_lora
        from sftgui.core.training.fast_dropout import restore_attention

        prep, labels = self.prep, self.prep.labels
        self._emit(ev.Preparing(self.run_id, "Measuring the new model and saving it as a version"))
        val = self.trainer.evaluate(self.data["validation"])
        metrics = {"validation": {"accuracy": val.get("eval_accuracy"), "macro_f1": val.get("eval_macro_f1"),
                                  "loss": val.get("eval_loss")}}
        predictions = None
        test = self._for_predicting(prep.snapshot.hash, prep.rows)
        if test is not None:
            test_metrics, predictions = self._test_predictions(test)
            metrics["test"] = test_metrics
            top = test_metrics
        else:
            top = classification_metrics(self.data["validation"]["labels"],
                                         self._argmax(self.data["validation"]), labels)
            metrics["evaluated_on"] = "validation"
        metrics.update(accuracy=top["accuracy"], macro_f1=top["macro_f1"], weighted_f1=top["weighted_f1"])
        forgetting = self._forgetting_check()
        if forgetting:
            metrics["forgetting"] = forgetting
        metrics["training"] = {"device": self.hw.device, "device_name": self.hw.name, "precision": self.hw.precision,
                               "wall_s": wall_s, "seed": self.config.seed,
                               "steps": self.trainer.state.global_step,
                               "train_samples_per_second": self.samples_per_second,
                               "batch_size": self.batch, "grad_accumulation": self.accum}
        model = merge_lora(self.trainer.model).to("cpu")
        restore_attention(model)
        return metrics, predictions, model

    @property
    def predict_length(self) -> int:
        return int(self.config.extra.get("predict_max_length") or self.config.max_length)

    def _for_predicting(self, snapshot_hash: str, rows: dict, split: str = "test"):
        """One split tokenized at the length predictions read (the training data may be cut shorter)."""
        if snapshot_hash == self.prep.snapshot.hash and self.predict_length == int(self.config.max_length):
            return self.data.get(split)
        data, _ = self.prep.task.tokenized(self.prep.ws.cache, snapshot_hash, self.prep.source.folder,
                                           self.tokenizer, rows, self.prep.labels, self.predict_length)
        return data.get(split)

    def _argmax(self, dataset) -> list[int]:
        probs = predict_by_row_id(self.trainer, dataset)
        return [int(probs[int(r)].argmax()) for r in dataset["row_id"]]

    def _test_predictions(self, test) -> tuple[dict, dict]:
        labels, rows = self.prep.labels, self.prep.rows
        probs = predict_by_row_id(self.trainer, test)
        text_of = {int(r): t for r, t in zip(rows["row_id"], rows["text"])}
        out_rows, y_true, y_pred = [], [], []
        for row_id, y in zip(test["row_id"], test["labels"]):
            p = probs[int(row_id)]
            y_true.append(int(y))
            y_pred.append(int(p.argmax()))
            out_rows.append({"row_id": int(row_id), "text": text_of.get(int(row_id)), "label": labels[int(y)],
                             "predicted": labels[int(p.argmax())], "probs": [round(float(x), 6) for x in p]})
        predictions = {"labels": list(labels), "split": "test", "snapshot_id": self.prep.snapshot.id,
                       "rows": out_rows}
        return classification_metrics(y_true, y_pred, labels), predictions

    def _forgetting_check(self) -> dict | None:
        """Accuracy on the parent version's test data, before and after this training, on only the
        rows neither the parent (with its ancestors) nor this training learned from."""
        from sftgui.core import unseen
        from sftgui.core.compare import restrict
        from sftgui.core.data.snapshots import get_snapshot, load_snapshot_table
        from sftgui.core.evaluation import evaluate_version

        ws, parent = self.prep.ws, self.prep.source.version
        if parent is None or parent.snapshot_id is None:
            return None
        snap = get_snapshot(ws, parent.snapshot_id)
        rows = load_snapshot_table(ws, snap.id).to_pydict()
        test = self._for_predicting(snap.hash, rows)
        if test is None:
            return None
        seen = unseen.trained_on(ws, [parent], extra_snapshots=[(self.prep.project.id, self.prep.snapshot.id)])
        text_of = dict(zip(rows["row_id"], rows["text"]))
        keep = [i for i, r in enumerate(test["row_id"])
                if not seen.has(parent.project_id, {"row_id": r, "text": text_of.get(r)})]
        tag = f"v{parent.number}"
        account = unseen.fairness(len(test), len(keep), [tag, "the new version"], tag)
        out = {"parent": parent.ref, "snapshot_id": snap.id, "rows": len(keep), "test_rows": len(test),
               "left_out": account["left_out"], "warning": account["warning"]}
        if not keep:
            out.update(before=None, after=None, sentence=(
                f"accuracy on {tag}'s test data: not measured, because this training learned from all "
                f"{len(test)} of its test rows"))
            return out
        test = test.select(keep) if len(keep) < len(test) else test
        after = float(np.mean(np.asarray(self._argmax(test)) == np.asarray(test["labels"])))
        before_result = evaluate_version(ws, parent, snap.id)
        if account["left_out"]:
            before_result = restrict(before_result, {int(r) for r in test["row_id"]})
        before = before_result["metrics"]["accuracy"]
        sentence = f"accuracy on {tag}'s test data: {before:.1%} -> {after:.1%}"
        if account["left_out"]:
            sentence += f" (on the {len(keep)} of its {out['test_rows']} test rows neither version trained on)"
        out.update(before=before, after=after, sentence=sentence)
        return out

    def cleanup(self) -> None:
        """The version now holds the weights; the checkpoints only served resuming."""
        self.trainer = None
        shutil.rmtree(self.out_dir, ignore_errors=True)


def smaller_batch(device: str, batch: int, accum: int) -> tuple[int, int]:
    if batch <= 1:
        raise UserError(f"The model does not fit in the memory of the {device} even one text at a time; "
                        "lower the maximum length, choose a smaller model or train on the CPU.")
    return batch // 2, accum * 2


def register_result(prep, run_id: int, model, tokenizer, *, config: dict, metrics: dict, predictions):
    """The trained model becomes the project's next version (one place for what a version records)."""
    from sftgui.core.versions import register_version

    return register_version(
        prep.ws, prep.project, model, tokenizer, labels=prep.labels, base_model=prep.source.base_model,
        run_id=run_id, parent_id=getattr(prep.source.version, "id", None), snapshot_id=prep.snapshot.id,
        config=config, metrics=metrics, predictions=predictions)


def _cross_entropy(logits, labels) -> float:
    logits = np.asarray(logits, dtype=np.float64)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return float(-log_probs[np.arange(len(labels)), labels].mean()) if len(labels) else 0.0
