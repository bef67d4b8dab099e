"""The bridge from the Trainer's hooks to our events, plus pause/stop and the cancel request file.

Kept light: it runs inline on the training thread at every step, so per-step work is a flag check
and one stat() of the cancel file (microseconds); events go out only when the Trainer logs.
"""

from __future__ import annotations

import time
from pathlib import Path

from transformers import TrainerCallback

from sftgui.core import events as ev


class BridgeCallback(TrainerCallback):
    def __init__(self, run_id: int, sink, cancel, *, cancel_file: Path, effective_batch: int,
                 eval_details: dict, started: dict, metric_keys: tuple[str, ...], live=None):
        self.run_id = run_id
        self.sink = sink
        self.cancel = cancel
        self.cancel_file = Path(cancel_file)
        self.effective_batch = effective_batch
        self.eval_details = eval_details  # filled by compute_metrics with per-class figures
        self.started = started  # the Started event's fields the Trainer does not know
        self.metric_keys = tuple(metric_keys)  # the task's validation metrics (Evaluated.metrics)
        self.live = live  # model -> the task's live answers (or None), after each validation pass
        self.points: list[tuple[int, float | None, str, float]] = []  # flushed to the db by the engine
        self.stopped = False
        self.start_step = 0
        self._t0 = time.perf_counter()
        self._eta: tuple[float, float] | None = None  # (last ETA shown, when)

    # -- start ------------------------------------------------------------------------------
    def on_train_begin(self, args, state, control, **kwargs):
        self._t0 = time.perf_counter()
        self._eta = None
        self.start_step = state.global_step
        self.sink(ev.Started(self.run_id, total_steps=state.max_steps, resumed_from_step=state.global_step,
                            **self.started))

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self._t0

    # -- every step: stop / pause requests ----------------------------------------------------
    def on_step_end(self, args, state, control, **kwargs):
        if self.cancel_file.exists():  # `sftgui runs cancel` from another process
            self.cancel.stop()
        if self.cancel.is_paused:
            self.sink(ev.Paused(self.run_id, state.global_step))
            self.cancel.wait_while_paused()
            if not self.cancel.is_stopped:
                self.sink(ev.Resumed(self.run_id, state.global_step))
        if self.cancel.is_stopped and not self.stopped:
            self.stopped = True
            control.should_save = True  # a checkpoint at this very step, so resume continues here
            control.should_training_stop = True
        return control

    # -- reports ------------------------------------------------------------------------------
    def on_log(self, args, state, control, logs=None, **kwargs):
        logs = logs or {}
        if "loss" not in logs:
            return
        step, epoch = state.global_step, float(state.epoch or 0.0)
        for name in ("loss", "learning_rate", "grad_norm"):
            if logs.get(name) is not None:
                self.points.append((step, epoch, name, float(logs[name])))
        done = max(0, step - self.start_step)
        elapsed = self.elapsed
        rate = done * self.effective_batch / elapsed if done and elapsed > 0 else None
        eta = self.steady_eta(elapsed / done * (state.max_steps - step) if done else None, elapsed)
        self.sink(ev.StepLogged(self.run_id, step=step, total_steps=state.max_steps, epoch=epoch,
                                loss=_f(logs.get("loss")), learning_rate=_f(logs.get("learning_rate")),
                                grad_norm=_f(logs.get("grad_norm")), samples_per_second=rate,
                                elapsed_s=elapsed, eta_s=eta))
        self.sink(resource_use(self.run_id))

    def steady_eta(self, raw: float | None, now: float) -> float | None:
        """The time left as shown: never higher than the last one shown minus the time since (a
        slower stretch, e.g. an evaluation, makes it wait rather than climb), at least 1 s."""
        if raw is None:
            return None
        if self._eta is not None:
            shown, at = self._eta
            raw = min(raw, max(1.0, shown - (now - at)))
        self._eta = (raw, now)
        return raw

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        metrics = metrics or {}
        step, epoch = state.global_step, float(state.epoch or 0.0)
        for key in ("eval_loss", *(f"eval_{k}" for k in self.metric_keys)):
            if metrics.get(key) is not None:
                self.points.append((step, epoch, key, float(metrics[key])))
        values = {k: float(metrics.get(f"eval_{k}", 0.0)) for k in self.metric_keys}
        self.sink(ev.Evaluated(self.run_id, step=step, epoch=epoch, loss=_f(metrics.get("eval_loss")),
                               metrics=values, per_class=dict(self.eval_details.get("per_class", {}))))
        answers = self.live(kwargs["model"]) if self.live is not None and kwargs.get("model") is not None else None
        if answers:
            self.sink(ev.Answered(self.run_id, step=step, epoch=epoch, answers=tuple(answers)))

    def on_save(self, args, state, control, **kwargs):
        path = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        self.sink(ev.CheckpointSaved(self.run_id, step=state.global_step, path=str(path)))


def resource_use(run_id: int) -> ev.ResourceUse:
    import psutil
    import torch

    used = total = None
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        free, total = torch.cuda.mem_get_info()
        used = total - free
    return ev.ResourceUse(run_id, process_ram_bytes=psutil.Process().memory_info().rss,
                          device_memory_used_bytes=used, device_memory_total_bytes=total)


def _f(x) -> float | None:
    return None if x is None else float(x)
