"""The ONE place where `TrainingArguments` is built from a TrainConfig (transformers 5 names)."""

from __future__ import annotations

import math
from pathlib import Path

from sftgui.config import TrainConfig
from sftgui.core.training.hardware import Hardware



def total_steps(config: TrainConfig, n_train: int, batch_size: int, grad_accumulation: int) -> int:
    if config.max_steps > 0:
        return int(config.max_steps)
    per_epoch = max(1, math.ceil(math.ceil(n_train / batch_size) / grad_accumulation))
    return max(1, math.ceil(per_epoch * config.epochs))


def build_training_args(config: TrainConfig, output_dir: Path, hw: Hardware, *, n_train: int,
                        batch_size: int | None = None, grad_accumulation: int | None = None, task=None):
    from transformers import TrainingArguments

    batch_size = batch_size or config.batch_size
    grad_accumulation = grad_accumulation or config.grad_accumulation
    steps = total_steps(config, n_train, batch_size, grad_accumulation)
    # About 50 log lines per run: enough for a smooth curve, cheap for big runs.
    log_steps = config.log_steps or max(1, steps // 50)
    by_steps = config.eval_steps > 0
    from sftgui.core.tasks import get_task

    # the best-checkpoint rule is the task's (classifiers break ties by the validation loss)
    metric, greater = (task or get_task(config.task)).checkpoint_metric(config.early_stopping_metric)
    return TrainingArguments(
        output_dir=str(output_dir),
        num_train_epochs=float(config.epochs),
        max_steps=int(config.max_steps),
        learning_rate=float(config.learning_rate),
        lr_scheduler_type=config.scheduler,
        warmup_steps=float(config.warmup) if config.warmup < 1 else int(config.warmup),  # <1 is a ratio
        weight_decay=float(config.weight_decay),
        label_smoothing_factor=float(config.label_smoothing),
        per_device_train_batch_size=int(batch_size),
        per_device_eval_batch_size=int(batch_size) * 2,
        gradient_accumulation_steps=int(grad_accumulation),
        bf16=hw.precision == "bf16",
        fp16=hw.precision == "fp16",
        use_cpu=hw.device == "cpu",
        seed=int(config.seed),
        eval_strategy="steps" if by_steps else "epoch",
        eval_steps=config.eval_steps if by_steps else None,
        save_strategy="steps" if by_steps else "epoch",
        save_steps=config.eval_steps if by_steps else None,
        save_total_limit=2,  # the best and the latest: enough to resume and to load the best
        load_best_model_at_end=True,
        metric_for_best_model=metric,
        greater_is_better=greater,
        logging_strategy="steps",
        logging_steps=log_steps,
        # length grouping is RowIdTrainer's own sampler: the Trainer's would also reorder evaluation
        # row_id must reach the collator so predictions can be matched to rows (DESIGN section 7).
        remove_unused_columns=False,
        label_names=["labels", "row_id"],
        dataloader_num_workers=0,
        disable_tqdm=True,
        report_to="none",
        save_only_model=False,
        # under torchrun (distributed.py): NCCL between GPUs, gloo between CPU processes
        ddp_backend=("nccl" if hw.device == "cuda" else "gloo") if _world_size() > 1 else None,
        # Otherwise the Trainer multiplies each process's loss by the number of processes, expecting a
        # model that divides by the items of all of them: a classifier's mean loss came out 2x on 2
        # processes (and clipped gradients differently). Per-process means, averaged by DDP, are the mean.
        average_tokens_across_devices=False,
    )


def _world_size() -> int:
    import os

    return int(os.environ.get("WORLD_SIZE", "1") or 1)
