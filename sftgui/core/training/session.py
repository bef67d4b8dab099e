"""One training attempt around the Hugging Face Trainer: build, train (with the out-of-memory
retry), then turn the best checkpoint into a model version with its metrics and predictions.

What depends on what is learned (processor, model-ready rows, model, collator, metrics, the
prediction of the test rows) is asked of the task, `prep.task`."""

from __future__ import annotations

import gc
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sftgui.core import events as ev
from sftgui.errors import UserError
from sftgui.store import runs_repo


@dataclass(frozen=True)
class Outcome:
    stopped: bool
    step: int


class TrainingSession:
    def __init__(self, prep, run_id: int, emit, cancel, callbacks, out_dir: Path, *,
                 samples_per_second: float | None = None):
        from sftgui.core.training.hardware import pick_hardware

        self.prep, self.config, self.run_id = prep, prep.config, run_id
        self.emit_outer, self.cancel, self.extra_callbacks = emit, cancel, list(callbacks)
        self.out_dir = Path(out_dir)
        self.hw = pick_hardware(self.config.device, self.config.precision)
        self.batch, self.accum = self.config.batch_size, self.config.grad_accumulation
        self.trainer = self.bridge = None
        self.part = self.cached = None  # the frozen part whose outputs are cached (feature_cache.py)
        self.cache_note = ""  # why the cached path is not used, in plain words ("" when it is or not asked)
        self.cached_hit = False
        self.samples_per_second = samples_per_second
        self.eval_details: dict = {}
        self._emit(ev.Preparing(run_id, f"Loading the {prep.task.processor_name}"))
        self.processor = prep.task.load_processor(prep.source.folder)
        self._emit(ev.Preparing(run_id, f"Preparing {len(prep.rows['row_id']):,} rows"))
        self.data, self.cache_hit = self._load_data()
        self.data = prep.task.augmenting(self.data, self.processor, self.config)

    def _load_data(self):
        """({split: model-ready dataset}, cache_hit); a distributed worker reads what its coordinator prepared."""
        prep = self.prep
        return prep.task.prepare(prep.ws.cache, prep.snapshot.hash, prep.source.folder, self.processor, prep.rows,
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
        from sftgui.core.training.hardware import fast_path_sentences, use_physical_cores
        from sftgui.core.training.trainer import RowIdTrainer, weighted_loss

        cfg, prep = self.config, self.prep
        hf_logging.disable_progress_bar()  # "Writing model shards" bars on stderr at every checkpoint
        set_seed(cfg.seed)  # the new head's initial weights depend on it
        self._emit(ev.Preparing(self.run_id, "Loading the model"))
        model = prep.task.load_model(prep.source.folder, prep.labels, parent_labels=prep.parent_labels,
                                     dropout=cfg.dropout)
        if cfg.lora:
            model = apply_lora(model, r=cfg.lora_r, alpha=cfg.lora_alpha, dropout=cfg.lora_dropout,
                               task_type=prep.task.lora_task_type())
        else:
            apply_freeze(model, cfg.freeze)
        fast_dropout = use_fast_dropout(model) if self.hw.device == "cpu" else []
        self.threads = use_physical_cores() if self.hw.device == "cpu" else {}
        train_model, train_data, eval_data = model, self.data["train"], self.data["validation"]
        collator, lengths = prep.task.collator(self.processor), None
        if cfg.group_by_length:
            lengths = prep.task.lengths(self.data["train"])
        self.part = self._frozen_part(model, collator)
        if self.part is not None:
            from sftgui.core.training.feature_cache import collate

            self.part.swap_in()
            train_model, train_data, eval_data = self.part.head, self.cached["train"], self.cached["validation"]
            collator = collate
            lengths = train_data.features.lengths if cfg.group_by_length else None
        self.eval_data = eval_data
        args = build_training_args(cfg, self.out_dir, self.hw, n_train=len(self.data["train"]),
                                   batch_size=self.batch, grad_accumulation=self.accum, task=prep.task)
        started = dict(epochs=float(cfg.epochs), device=self.hw.device, precision=self.hw.precision,
                       fast_paths=fast_path_sentences(self.hw, group_by_length=cfg.group_by_length,
                                                      cache_hit=self.cache_hit, fast_dropout=bool(fast_dropout),
                                                      task=prep.task, config=cfg,
                                                      frozen=self._frozen_sentence(), threads=self.threads),
                       train_rows=len(self.data["train"]), validation_rows=len(self.data["validation"]),
                       batch_size=self.batch, grad_accumulation=self.accum, labels=tuple(prep.labels))
        self.bridge = BridgeCallback(self.run_id, self._emit, self.cancel,
                                     cancel_file=self.out_dir / "cancel",
                                     effective_batch=self.batch * self.accum,
                                     eval_details=self.eval_details, started=started,
                                     metric_keys=prep.task.validation_metrics,
                                     live=lambda m: prep.task.live_answers(m, self.processor, prep.rows))
        callbacks = [self.bridge]
        if cfg.early_stopping:
            callbacks.append(EarlyStoppingCallback(cfg.early_stopping_patience, cfg.early_stopping_threshold))
        loss_func = None
        weights = self._class_weights()
        if weights is not None:
            loss_func = weighted_loss(torch.tensor(weights, dtype=torch.float32), cfg.label_smoothing)
        self.trainer = RowIdTrainer(
            model=train_model, args=args, train_dataset=train_data, eval_dataset=eval_data,
            processing_class=self.processor, data_collator=collator,
            compute_metrics=self._compute_metrics, callbacks=callbacks + self.extra_callbacks,
            compute_loss_func=loss_func, preprocess_logits_for_metrics=prep.task.logits_reducer(),
            train_lengths=lengths)
        # Our events are the progress report: no Trainer printing on stdout (it would break --json).
        self.trainer.remove_callback(PrinterCallback)
        self.trainer.remove_callback(ProgressCallback)

    # -- the cached frozen part -------------------------------------------------------------------
    def _frozen_part(self, model, collator):
        """The task's frozen part when its outputs can be cached here (building or reading the cache
        the first time), else None with `cache_note` saying why not."""
        import os

        from sftgui.core.training import feature_cache as fc

        cfg, prep = self.config, self.prep
        if cfg.feature_cache == "off" or cfg.lora:
            return None
        part = prep.task.frozen_part(model, cfg)
        if part is None:
            return None
        why = ""
        if int(os.environ.get("WORLD_SIZE", "1") or 1) > 1:
            why = "not with several processes"
        elif any(bool(v) for v in (cfg.augmentation or {}).values()):
            why = "not with augmented training data (each epoch sees other variations)"
        elif getattr(prep, "ws", None) is None:
            why = "no workspace cache here"
        if not why:
            gap = fc.self_check(part, self.data["validation"], collator)
            if gap > fc.SELF_CHECK_TOLERANCE:
                why = f"this model's split did not match the full model (logits differ by {gap:.2g})"
        if why:
            self.cache_note = why
            return None
        if self.cached is None:
            key = fc.cache_key(task=prep.task.name, model_dir=prep.source.folder, snapshot_hash=prep.snapshot.hash,
                               max_length=cfg.max_length, freeze_key=part.key)
            done = {"last": 0}

            def progress(split, d, t):
                if d == t or d - done["last"] >= 256:
                    done["last"] = 0 if d == t else d
                    self._emit(ev.Preparing(self.run_id, f"Reading the {split} examples once with the frozen "
                                                         f"part of the model: {d:,} of {t:,}"))

            self._emit(ev.Preparing(self.run_id, "Reading the examples once with the frozen part of the model"))
            self.cached, self.cached_hit = fc.cached_splits(
                Path(prep.ws.cache) / "features" / key, part, self.data, collator,
                lambda ds: prep.task.lengths(ds), progress=progress)
        return part

    def _frozen_sentence(self) -> str | None:
        if self.part is not None:
            reuse = "reused from the cache" if self.cached_hit else "computed once and cached for the next run"
            return (f"frozen part: its outputs {reuse} — only the layers that learn run in each step "
                    "(the frozen part runs without dropout)")
        if self.cache_note:
            return f"frozen part: computed in every step — {self.cache_note}"
        return None

    def chosen(self) -> dict:
        """What this run chose to be fast, for the run's record (metrics['training']['fast_paths'])."""
        from sftgui.core.training.hardware import cpu_capability

        out = {"precision": self.hw.precision, "threads": dict(getattr(self, "threads", {}) or {}),
               "group_by_length": bool(self.config.group_by_length),
               "feature_cache": ("reused" if self.cached_hit else "built") if self.part is not None
               else ("off: " + self.cache_note if self.cache_note else "off")}
        if self.hw.device == "cpu":
            cap = cpu_capability()
            out["cpu"] = {"isa": cap.isa, "bf16": cap.bf16, "limit": cap.limit}
        return out

    def _compute_metrics(self, p) -> dict:
        metrics, details = self.prep.task.training_metrics(p, self.prep.labels)
        self.eval_details.clear()
        self.eval_details.update(details)
        return metrics

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
        version = register_result(self.prep, self.run_id, model, self.processor, config=self.run_fields()["config"],
                                  metrics=metrics, predictions=predictions)
        return version, metrics

    def measure(self, wall_s: float):
        """(metrics, test predictions, the model to store, on the CPU: merged, or with its LoRA adapter
        unmerged for a task that keeps adapters); every distributed rank
        runs it (the Trainer's evaluate is collective). The forgetting check needs the workspace, so a
        distributed run's coordinator makes it (`forgetting_check`)."""
        self._emit(ev.Preparing(self.run_id, "Measuring the new model and saving it as a version"))
        validation = self.validate()
        return self.measure_model(self.best_model(), validation, wall_s, steps=self.trainer.state.global_step)

    def validate(self) -> dict:
        """The task's headline metrics and the loss of the best checkpoint on the validation rows."""
        val = self.trainer.evaluate(getattr(self, "eval_data", None) or self.data["validation"])
        validation = {m.key: val.get(f"eval_{m.key}") for m in self.prep.task.metrics if f"eval_{m.key}" in val}
        return {**validation, "loss": val.get("eval_loss")}

    def best_model(self):
        """The trained model as a version holds it: unwrapped from the accelerator, LoRA merged."""
        from sftgui.core.training.adapt import merge_lora
        from sftgui.core.training.fast_dropout import restore_attention

        # (accelerate wraps forward in bf16/fp16 autocast under mixed precision: unwrapped, the model
        # predicts in its own dtype, as the loaded version will)
        unwrapped = self.trainer.accelerator.unwrap_model(self.trainer.model, keep_fp32_wrapper=False)
        if self.part is not None:  # the trained part is the full model's own: put the frozen part back
            unwrapped = self.part.full_model()
        restore_attention(unwrapped)
        if self.prep.task.keeps_adapter and hasattr(unwrapped, "peft_config"):
            return unwrapped.to("cpu").eval()  # base tensors (already in the store) + the adapter's
        return merge_lora(unwrapped).eval()

    def measure_model(self, model, validation: dict, wall_s: float, *, steps: int):
        """(metrics, test predictions, model to store on the CPU) of a trained model (`best_model`):
        the test rows scored through the task's one prediction path (so evaluating the version later
        gives the very same numbers), the forgetting check, the training facts. A search trial's kept
        model comes here only once the search has chosen it."""
        prep, task, labels = self.prep, self.prep.task, self.prep.labels
        metrics = {"validation": validation}
        stored = model
        # what the version answers, as load_version merges it (a task that keeps its adapter unmerged)
        self.model = task.merged(model) if task.keeps_adapter and hasattr(model, "peft_config") else model
        self.model.eval()
        predictions = None
        if "test" in self.data:
            result = self._score("test")
            metrics["test"] = result["metrics"]
            predictions = {"labels": list(labels), "split": "test", "snapshot_id": prep.snapshot.id,
                           "rows": list(task.prediction_rows(result["rows"]))}
        else:
            result = self._score("validation")
            metrics["evaluated_on"] = "validation"
        metrics.update(task.headline(result["metrics"]))
        forgetting = forgetting_check(prep, self.model, self.processor) if prep.ws is not None else None
        if forgetting:
            metrics["forgetting"] = forgetting
        metrics["training"] = {"device": self.hw.device, "device_name": self.hw.name, "precision": self.hw.precision,
                               "wall_s": wall_s, "seed": self.config.seed,
                               "steps": steps,
                               "train_samples_per_second": self.samples_per_second,
                               "batch_size": self.batch, "grad_accumulation": self.accum,
                               "fast_paths": self.chosen()}
        # what the version stores: the merged model, or (keeps_adapter) the adapter beside the base tensors
        return metrics, predictions, stored.to("cpu")

    def _score(self, split: str) -> dict:
        """The task's evaluation result of the trained model on one split of the run's rows."""
        from sftgui.core.evaluation import rows_of

        return self._score_rows(rows_of(self.prep.task, self.prep.rows, split))

    def _score_rows(self, picked: list[dict]) -> dict:
        return score_rows(self.prep, self.model, self.processor, picked)

    def cleanup(self) -> None:
        """The version now holds the weights; the checkpoints only served resuming."""
        self.trainer = None
        shutil.rmtree(self.out_dir, ignore_errors=True)


def score_rows(prep, model, processor, picked: list[dict]) -> dict:
    """The task's result of a trained model on rows (dicts of the task's columns), predicting at the
    length the version predicts with (recorded for predicting; may be longer than training's)."""
    task = prep.task
    outputs = task.predict(model, processor, [r[task.input_column] for r in picked],
                           max_length=task.max_length(processor, prep.config.to_dict()))
    return task.score(picked, prep.labels, outputs)


def forgetting_check(prep, model, processor) -> dict | None:
    """The task's first metric (accuracy) on the parent version's test data, before and after this
    training, on only the rows neither the parent (with its ancestors) nor this training learned from."""
    from sftgui.core import unseen
    from sftgui.core.compare import restrict
    from sftgui.core.data.snapshots import get_snapshot, load_snapshot_table
    from sftgui.core.evaluation import evaluate_version, rows_of

    ws, parent = prep.ws, prep.source.version
    if parent is None or parent.snapshot_id is None:
        return None
    task = prep.task
    snap = get_snapshot(ws, parent.snapshot_id)
    test = rows_of(task, load_snapshot_table(ws, snap.id).to_pydict(), "test")
    if not test:
        return None
    seen = unseen.trained_on(ws, [parent], extra_snapshots=[(prep.project.id, prep.snapshot.id)])
    keep = unseen.unseen_rows(parent.project_id, test, seen)
    tag = f"v{parent.number}"
    metric = task.metrics[0]
    name = metric.title.lower()
    account = unseen.fairness(len(test), len(keep), [tag, "the new version"], tag)
    out = {"parent": parent.ref, "snapshot_id": snap.id, "rows": len(keep), "test_rows": len(test),
           "left_out": account["left_out"], "warning": account["warning"]}
    if not keep:
        out.update(before=None, after=None, sentence=(
            f"{name} on {tag}'s test data: not measured, because this training learned from all "
            f"{len(test)} of its test rows"))
        return out
    after = score_rows(prep, model, processor, keep)["metrics"][metric.key]
    before_result = evaluate_version(ws, parent, snap.id)
    if account["left_out"]:
        before_result = restrict(before_result, {int(r["row_id"]) for r in keep}, task)
    before = before_result["metrics"][metric.key]
    sentence = f"{name} on {tag}'s test data: {before:.1%} -> {after:.1%}"
    if account["left_out"]:
        sentence += f" (on the {len(keep)} of its {out['test_rows']} test rows neither version trained on)"
    out.update(before=before, after=after, sentence=sentence)
    return out


def smaller_batch(device: str, batch: int, accum: int) -> tuple[int, int]:
    if batch <= 1:
        raise UserError(f"The model does not fit in the memory of the {device} even one text at a time; "
                        "lower the maximum length, choose a smaller model or train on the CPU.")
    return batch // 2, accum * 2


def register_result(prep, run_id: int, model, processor, *, config: dict, metrics: dict, predictions):
    """The trained model becomes the project's next version (one place for what a version records)."""
    from sftgui.core.versions import register_version

    return register_version(
        prep.ws, prep.project, model, processor, labels=prep.labels, base_model=prep.source.base_model,
        run_id=run_id, parent_id=getattr(prep.source.version, "id", None), snapshot_id=prep.snapshot.id,
        config=config, metrics=metrics, predictions=predictions)
