"""The baseline: a careful engineer's plain Hugging Face Trainer script, no sftgui code.

`train_plain(rows, model_dir, **settings)` fine-tunes on rows {text, label, split} and returns the
Trainer's own throughput figure and the test accuracy. Settings left at None keep the Trainer's
defaults (fp32, random sampler, batch 8, lr 5e-5).
"""

from __future__ import annotations

import tempfile
import time


def train_plain(
    rows: list[dict],
    model_dir: str,
    *,
    epochs: float = 1.0,
    batch_size: int | None = None,
    lr: float | None = None,
    max_length: int | None = None,
    bf16: bool = False,
    group_by_length: bool = False,
    seed: int = 42,
    warmup: float | None = None,
    weight_decay: float | None = None,
    eval_each_epoch: bool = False,
    scheduler: str | None = None,
    device: str = "cpu",
) -> dict:
    import numpy as np
    from datasets import Dataset
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
        Trainer,
        TrainingArguments,
    )

    labels = sorted({r["label"] for r in rows})
    label2id = {l: i for i, l in enumerate(labels)}
    tok = AutoTokenizer.from_pretrained(model_dir)

    def encode(split):
        part = [r for r in rows if r["split"] == split]
        ds = Dataset.from_dict({"text": [r["text"] for r in part], "label": [label2id[r["label"]] for r in part]})
        kw = {"truncation": True}
        if max_length:
            kw["max_length"] = max_length
        return ds.map(lambda b: tok(b["text"], **kw), batched=True, remove_columns=["text"])

    train, val, test = encode("train"), encode("validation"), encode("test")
    model = AutoModelForSequenceClassification.from_pretrained(
        model_dir,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id=label2id,
    )
    kwargs = {"num_train_epochs": epochs, "seed": seed, "bf16": bf16, "use_cpu": device == "cpu", "save_strategy": "no",
              "eval_strategy": "no", "logging_strategy": "no", "report_to": "none", "disable_tqdm": True}
    if batch_size:
        kwargs["per_device_train_batch_size"] = batch_size
        kwargs["per_device_eval_batch_size"] = batch_size * 2
    if lr:
        kwargs["learning_rate"] = lr
    if group_by_length:
        kwargs["train_sampling_strategy"] = "group_by_length"
    if warmup is not None:
        kwargs["warmup_steps"] = warmup
    if weight_decay is not None:
        kwargs["weight_decay"] = weight_decay
    if scheduler:
        kwargs["lr_scheduler_type"] = scheduler
    if eval_each_epoch:  # what a careful script does: evaluate and keep the best epoch by macro F1
        kwargs.update(eval_strategy="epoch", save_strategy="epoch", save_total_limit=2,
                      load_best_model_at_end=True, metric_for_best_model="macro_f1", greater_is_better=True)
    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(output_dir=out, **kwargs)
        trainer = Trainer(model=model, args=args, train_dataset=train, eval_dataset=val,
                          data_collator=DataCollatorWithPadding(tok), processing_class=tok,
                          compute_metrics=_macro_f1(len(labels)) if eval_each_epoch else None)
        t0 = time.perf_counter()
        result = trainer.train()
        wall = time.perf_counter() - t0
        pred = trainer.predict(test)
    # label_ids come back in the sampler's order (see DESIGN section 7): score against them.
    accuracy = float((np.argmax(pred.predictions, axis=-1) == pred.label_ids).mean())
    return {
        "train_samples_per_second": float(result.metrics["train_samples_per_second"]),
        "train_wall_s": wall,
        "test_accuracy": accuracy,
        "train_rows": len(train),
    }


def _macro_f1(n_labels: int):
    import numpy as np

    def compute_metrics(p):
        pred, gold = np.argmax(p.predictions, axis=-1), p.label_ids
        f1s = []
        for c in range(n_labels):
            denom = np.sum(pred == c) + np.sum(gold == c)
            if denom:
                f1s.append(2 * np.sum((pred == c) & (gold == c)) / denom)
        return {"macro_f1": float(np.mean(f1s)) if f1s else 0.0}

    return compute_metrics
