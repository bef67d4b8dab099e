"""`sftgui tune`: find the best settings with a hyperparameter search (core/search.py).

Every trial prints its result as it finishes (or one JSON object per event with --json-events);
the first Ctrl+C stops the search cleanly (the trial in progress saves a checkpoint) and
`sftgui tune --resume ID` continues it.
"""

from __future__ import annotations

import sys

# the train options that fix a setting for every trial (the search leaves it out of its space)
FIXABLE = ("epochs", "learning_rate", "batch_size", "max_length", "freeze", "warmup", "weight_decay", "lora_r")


def register(sub) -> None:
    t = sub.add_parser("tune", help="find the best settings: a hyperparameter search whose best trial becomes a version",
                       description="Train several times with different settings (learning rate, epochs, batch size, "
                       "warm-up, weight decay, freezing or LoRA rank), judge each on the validation rows only, and "
                       "keep the best as a new version. Settings you give are held fixed.")
    t.add_argument("--project", metavar="P", help="the project to search for (not needed with --resume/--show)")
    t.add_argument("--trials", type=int, metavar="N", help="how many trainings to try (default 10)")
    t.add_argument("--time-budget", type=float, metavar="MINUTES",
                   help="start no new trial after this many minutes (the one running finishes)")
    t.add_argument("--resume", type=int, metavar="ID", help="continue a stopped search")
    t.add_argument("--list", action="store_true", help="list the project's searches")
    t.add_argument("--show", type=int, metavar="ID", help="one search: its trials and the version it made")
    t.add_argument("--model", metavar="M", help='"bundled" (default), a model folder, a Hugging Face id')
    t.add_argument("--preset", choices=("quick", "balanced", "thorough"), default="quick",
                   help="the settings a trial starts from (default quick)")
    t.add_argument("--snapshot", type=int, metavar="ID", help="search on this snapshot (default: freeze the draft)")
    t.add_argument("--epochs", type=float)
    t.add_argument("--lr", type=float, dest="learning_rate", metavar="X")
    t.add_argument("--batch-size", type=int)
    t.add_argument("--max-length", type=int)
    t.add_argument("--freeze", metavar="embeddings|N|all-but-top-K|all-but-head")
    t.add_argument("--warmup", type=float)
    t.add_argument("--weight-decay", type=float)
    t.add_argument("--lora", action="store_true", default=None, help="search over LoRA ranks instead of freezing")
    t.add_argument("--lora-r", type=int, help="fix the LoRA rank")
    t.add_argument("--max-steps", type=int, help="cap every trial at this many steps (quick checks)")
    t.add_argument("--seed", type=int, default=0, help="the sampler's seed (trials train with the preset's seed)")
    t.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"))
    t.add_argument("--json-events", action="store_true", help="print one JSON object per line per event")
    t.add_argument("--json", action="store_true", help="with --list/--show: print JSON")
    t.set_defaults(func=_tune)


def _tune(args, ctx) -> int:
    from sftgui.core import search
    from sftgui.errors import UserError

    if args.list:
        if not args.project:
            raise UserError("--list needs --project P.")
        return _list(ctx, search.list_searches(ctx.workspace(), args.project), args.json)
    if args.show is not None:
        return _show(ctx, search.describe(ctx.workspace(), args.show), args.json)
    ws = ctx.workspace()
    if args.resume is not None:
        search_id = args.resume
    else:
        if not args.project:
            raise UserError("Say which project to search for with --project P (or --resume ID).")
        search_id = _start(ws, args).id
        print(f"Search {search_id} started: up to {search.DEFAULT_TRIALS if args.trials is None else args.trials} trials"
              + (f" within {args.time_budget:g} minutes" if args.time_budget else "") + ".", file=sys.stderr)
    from sftgui.commands.train import Progress, _with_ctrl_c

    sink = _TrialPrinter(Progress(args.json_events), args.json_events)
    trials = args.trials if args.resume is not None else None
    result = _with_ctrl_c(lambda s, token: search.run_search(ws, search_id, s, token, trials=trials), sink)
    if result.status == "completed":
        if not args.json_events:
            print(result.message)
        return 0
    print(f"sftgui: {result.message}", file=sys.stderr)
    return 130 if result.status == "stopped" else 1


def _start(ws, args):
    from sftgui.config import TrainConfig
    from sftgui.core import search

    fixed = tuple(k for k in FIXABLE if getattr(args, k, None) is not None)
    overrides = {k: getattr(args, k) for k in (*FIXABLE, "lora", "device", "max_steps")}
    config = TrainConfig.from_preset(args.preset, project=args.project, model=args.model or "bundled",
                                     snapshot_id=args.snapshot, **overrides)
    return search.start_search(ws, config, trials=search.DEFAULT_TRIALS if args.trials is None else args.trials,
                               time_budget_min=args.time_budget, fixed=fixed, seed=args.seed)


class _TrialPrinter:
    """Training events as `sftgui train` prints them, plus one line per finished trial."""

    def __init__(self, progress, json_events: bool):
        self.progress, self.json_events = progress, json_events

    def __call__(self, event) -> None:
        from sftgui.commands.train import _duration
        from sftgui.core import events as ev

        if self.json_events or not isinstance(event, (ev.TrialFinished, ev.SearchFinished, ev.Finished)):
            self.progress(event)
        if self.json_events or not isinstance(event, ev.TrialFinished):
            return
        value = "-" if event.value is None else f"{event.value:.3f}"
        best = "-" if event.best_value is None else f"{event.best_value:.3f} (trial {event.best_trial})"
        left = f", about {_duration(event.eta_s)} left" if event.eta_s else ""
        params = ", ".join(f"{k}={_short(v)}" for k, v in event.params.items())
        print(f"Trial {event.trial} {event.state}: validation {event.metric} {value} [{params}]; best so far {best}; "
              f"{event.finished}/{event.total} done{left}", flush=True)


def _short(v) -> str:
    return f"{v:.3g}" if isinstance(v, float) else str(v)


def _list(ctx, searches: list[dict], as_json: bool) -> int:
    if as_json:
        ctx.emit_json(searches)
        return 0
    if not searches:
        print("No searches yet; `sftgui tune --project P` starts one.")
    for s in searches:
        best = max((t["value"] for t in s["trials"] if t["value"] is not None), default=None)
        print(f"search {s['id']}: {s['status']}, {len(s['trials'])}/{s['trials_wanted']} trials, best {s['metric']} "
              f"{'-' if best is None else f'{best:.3f}'}" + (f" -> {s['version']}" if s["version"] else ""))
    return 0


def _show(ctx, s: dict, as_json: bool) -> int:
    if as_json:
        ctx.emit_json(s)
        return 0
    print(f"search {s['id']}: {s['status']}, metric {s['metric']} (validation), "
          f"{len(s['trials'])}/{s['trials_wanted']} trials" + (f", best became {s['version']}" if s["version"] else ""))
    for t in s["trials"]:
        value = "-" if t["value"] is None else f"{t['value']:.3f}"
        params = ", ".join(f"{k}={_short(v)}" for k, v in t["params"].items())
        print(f"  {'*' if t['best'] else ' '} trial {t['trial']} run {t['run_id']} {t['status']:<9} {value}  {params}")
    return 0
