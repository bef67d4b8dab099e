"""`sftgui train`, `sftgui runs list|show|resume|cancel` and `sftgui demo` (contract: shared/CLI.md).

Training shows a progress bar on a terminal, plain lines otherwise, or one JSON object per event
with --json-events. The first Ctrl+C stops cleanly (checkpoint, run `cancelled`, resumable).
"""

from __future__ import annotations

import json
import signal
import sys
import time

from sftgui.commands import validate

SAMPLE_PROJECT = "support-tickets"


def register(sub) -> None:
    t = sub.add_parser("train", help="fine-tune a model on a project's data and register a new version",
                       description="Fine-tune a model on a project's data; the best result becomes a new version.")
    t.add_argument("--project", required=True, metavar="P")
    _model_arg(t)
    t.add_argument("--preset", choices=("quick", "balanced", "thorough"), default="quick")
    t.add_argument("--snapshot", type=validate.identifier, metavar="ID", help="train on this snapshot (default: freeze the draft)")
    t.add_argument("--epochs", type=validate.epochs)
    t.add_argument("--lr", type=validate.learning_rate, dest="learning_rate", metavar="X", help="learning rate")
    t.add_argument("--batch-size", type=validate.steps)
    t.add_argument("--grad-accumulation", type=validate.steps)
    t.add_argument("--max-length", type=validate.tokens, help="tokens read per text")
    t.add_argument("--freeze", metavar="embeddings|N|all-but-top-K|all-but-head", help="keep these parts of the model fixed")
    t.add_argument("--lora", action="store_true", default=None, help="train small LoRA adapters (merged at the end)")
    t.add_argument("--full", action="store_false", dest="lora", default=None,
                   help="train every weight instead of LoRA adapters (language models use LoRA by default)")
    t.add_argument("--packing", action="store_true", default=None,
                   help="language models: pack short examples together into rows of the maximum length "
                        "(faster; each example still sees only itself)")
    t.add_argument("--early-stopping", action="store_true", default=None)
    t.add_argument("--class-weights", choices=("none", "balanced"))
    t.add_argument("--augment", metavar="SPEC", help="image projects: e.g. 'flip,rotation=15,crop=0.8,scale=0.1,"
                   "jitter=0.2,noise=0.02', 'default' or 'none' (default: the preset's)")
    t.add_argument("--seed", type=validate.seed)
    t.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"))
    t.add_argument("--precision", choices=("auto", "bf16", "fp16", "fp32"))
    t.add_argument("--json-events", action="store_true", help="print one JSON object per line per event")
    _launcher_args(t)
    t.set_defaults(func=_train)

    r = sub.add_parser("runs", help="list, show, resume or cancel training runs")
    rs = r.add_subparsers(dest="runs_command", metavar="ACTION")
    c = rs.add_parser("list", help="the runs of a project")
    c.add_argument("--project", required=True, metavar="P")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=_runs_list)
    c = rs.add_parser("show", help="one run: status, settings, device, speed, metrics")
    c.add_argument("run", type=validate.identifier, metavar="RUN")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=_runs_show)
    c = rs.add_parser("resume", help="continue a cancelled or interrupted run from its last checkpoint")
    c.add_argument("run", type=validate.identifier, metavar="RUN")
    c.add_argument("--json-events", action="store_true")
    _launcher_args(c, resume=True)
    c.set_defaults(func=_runs_resume)
    c = rs.add_parser("cancel", help="stop a run (it saves a checkpoint and can be resumed)")
    c.add_argument("run", type=validate.identifier, metavar="RUN")
    c.set_defaults(func=_runs_cancel)

    d = sub.add_parser("demo", help="end to end on the bundled sample: import, check, train, evaluate, export")
    _model_arg(d)
    d.add_argument("--task", default=None, metavar="TASK",
                   help="the sample of this task (default: text-classification; also image-classification, "
                        "and instruction-sft, which trains the bundled language model on support replies in a house style)")
    d.add_argument("--json-events", action="store_true")
    d.set_defaults(func=_demo)


def _launcher_args(p, resume: bool = False) -> None:
    """--processes N and torchrun's rendezvous options (docs/readme/training.md has a Slurm example)."""
    g = p.add_argument_group("several processes (torchrun)")
    g.add_argument("--processes", type=validate.processes, metavar="N",
                   help="train with N data-parallel processes on this machine (one per GPU; gloo on CPUs)"
                   + ("; default: as the run was started" if resume else ""))
    g.add_argument("--nnodes", metavar="N|MIN:MAX", help="torchrun: number of machines")
    g.add_argument("--node-rank", type=validate.offset, metavar="K", help="torchrun: this machine's rank (0 holds the workspace)")
    g.add_argument("--rdzv-endpoint", metavar="HOST:PORT", help="torchrun: where the machines meet")
    g.add_argument("--rdzv-backend", metavar="NAME", help="torchrun: rendezvous backend (default c10d)")
    g.add_argument("--rdzv-id", metavar="ID", help="torchrun: the job's id (e.g. $SLURM_JOB_ID)")
    g.add_argument("--rdzv-conf", metavar="K=V,...", help="torchrun: extra rendezvous settings")
    g.add_argument("--master-addr", metavar="HOST", help="torchrun: static rendezvous host")
    g.add_argument("--master-port", metavar="PORT", help="torchrun: static rendezvous port")


def _launch(args) -> dict:
    from sftgui.core.training.distributed import LAUNCH_OPTIONS

    return {k: getattr(args, k) for k in LAUNCH_OPTIONS if getattr(args, k, None) not in (None, "")}


def _join(args, launch: dict) -> int:
    """A cluster node other than the first: run its workers; the first node shows the progress."""
    from sftgui.core.training.distributed import join

    print(f"Joining the run as node {launch['node_rank']} with {args.processes or 1} process(es); "
          "progress and the result are shown on node 0.", file=sys.stderr)
    code = join(args.processes or 1, launch)
    if code:
        print(f"sftgui: this node's training processes stopped with exit code {code}; node 0's run log has "
              "the run's state.", file=sys.stderr)
        return 1
    return 0


def _model_arg(p) -> None:
    p.add_argument("--model", metavar="M", help='"bundled" (default), a model folder, a Hugging Face id, '
                   "or a version (vN / P@vN) to continue from")


# -- printing progress ------------------------------------------------------------------------
class Progress:
    """The event sink of the CLI: a bar on a terminal, plain lines otherwise, or JSON lines."""

    def __init__(self, json_events: bool, stream=None):
        self.json_events = json_events
        self.out = stream or sys.stdout
        self.tty = self.out.isatty() and not json_events
        self._last_line = 0.0
        self._bar = False

    def __call__(self, event) -> None:
        from sftgui.core import events as ev

        if self.json_events:
            self.out.write(json.dumps(ev.to_dict(event), default=str, ensure_ascii=False) + "\n")
            self.out.flush()
            return
        if isinstance(event, ev.StepLogged):
            self._step(event)
        elif isinstance(event, ev.Started):
            resumed = f", resuming at step {event.resumed_from_step}" if event.resumed_from_step else ""
            self._line(f"Training on {event.device} ({event.precision}): {event.train_rows} rows, "
                       f"{event.total_steps} steps{resumed}")
            for sentence in event.fast_paths:
                self._line(f"  {sentence}")
        elif isinstance(event, ev.Evaluated):
            self._line(f"  checked at step {event.step}: {_metrics_text(event.metrics)}"
                       + (f", loss {event.loss:.4f}" if event.loss is not None else ""))
        elif isinstance(event, ev.Answered):
            for a in event.answers:
                self._line(f"    {_short(a['prompt'])} -> {_short(a['answer'])}")
        elif isinstance(event, ev.Preparing):
            self._line(f"{event.message}...")
        elif isinstance(event, (ev.Paused, ev.Resumed)):
            self._line(f"{type(event).__name__} at step {event.step}")
        elif isinstance(event, ev.Retrying):
            self._line(f"{event.reason} Batch size {event.batch_size}, accumulation {event.grad_accumulation}.")
        elif isinstance(event, ev.Cancelled):
            self._line(event.message)
        elif isinstance(event, ev.Failed):
            self._line(f"Training failed: {event.message}")

    def _step(self, e) -> None:
        eta = f", {_duration(e.eta_s)} left" if e.eta_s is not None else ""
        loss = f"loss {e.loss:.4f}" if e.loss is not None else ""
        if self.tty:
            width = 30
            done = int(width * e.step / max(1, e.total_steps))
            self.out.write(f"\r[{'#' * done}{'.' * (width - done)}] {e.step}/{e.total_steps} {loss}{eta}   ")
            self.out.flush()
            self._bar = True
        elif time.monotonic() - self._last_line >= 5 or e.step == e.total_steps:
            self._last_line = time.monotonic()
            self._line(f"  step {e.step}/{e.total_steps} (epoch {e.epoch:.2f}) {loss}{eta}")

    def _line(self, text: str) -> None:
        if self._bar:
            self.out.write("\n")
            self._bar = False
        self.out.write(validate.escape(text) + "\n")
        self.out.flush()


def _say(text: str, file=None) -> None:
    """print() for lines that hold names or texts: control characters escaped (validate.escape)."""
    print(validate.escape(text), file=file)


def _short(text, width: int = 60) -> str:
    text = " ".join(str(text or "").split())
    return repr(text if len(text) <= width else text[: width - 1] + "…")


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def _with_ctrl_c(start, sink):
    """Run `start(sink, token)`; the first Ctrl+C asks for a clean stop, a second one aborts."""
    from sftgui.core.training.control import CancelToken

    token = CancelToken()

    def on_sigint(signum, frame):
        if token.is_stopped:
            raise KeyboardInterrupt
        print("\nStopping after this step (saving a checkpoint)... press Ctrl+C again to abort.", file=sys.stderr)
        token.stop()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        return start(sink, token)
    finally:
        signal.signal(signal.SIGINT, previous)


def _metrics_text(m: dict, joiner: str = ", ") -> str:
    """"accuracy 91.0%, macro F1 0.903" for a classifier; any other task's metrics as name value."""
    if "accuracy" in m and "macro_f1" in m:
        return f"accuracy {m['accuracy']:.1%}{joiner}macro F1 {m['macro_f1']:.3f}"
    return joiner.join(f"{k} {v:.4g}" for k, v in m.items() if isinstance(v, (int, float)))


def _report(result, json_events: bool) -> int:
    if result.status == "completed":
        if not json_events:
            v, m = result.version, result.metrics
            where = "validation" if m.get("evaluated_on") == "validation" else "test"
            top = {k: x for k, x in m.items() if k not in ("validation", "test", "training", "forgetting")}
            _say(f"Done: {v.ref}, {_metrics_text(top, ' and ')} on the {where} "
                  f"data, in {_duration(result.wall_s)} (run {result.run_id}).")
            if "forgetting" in m:
                _say(f"  {m['forgetting']['sentence']}")
                if m["forgetting"].get("warning"):
                    _say(f"  Warning: {m['forgetting']['warning']}")
        return 0
    if result.status == "cancelled":
        _say(f"sftgui: run {result.run_id} was stopped; resume it with 'sftgui runs resume {result.run_id}'.",
              file=sys.stderr)
        return 130
    _say(f"sftgui: {result.error}", file=sys.stderr)
    return 2 if result.user_error else 1


# -- train ------------------------------------------------------------------------------------
def _train(args, ctx) -> int:
    from sftgui.config import TrainConfig
    from sftgui.core.training import engine
    from sftgui.core.training.distributed import joins_another_node

    launch = _launch(args)
    if joins_another_node(launch):
        return _join(args, launch)  # never opens the workspace: node 0 holds it
    ws = ctx.workspace()
    overrides = {k: getattr(args, k) for k in ("epochs", "learning_rate", "batch_size", "max_length", "freeze",
                                               "lora", "seed", "device", "precision", "early_stopping",
                                               "class_weights", "processes", "packing")}
    overrides["grad_accumulation"] = args.grad_accumulation
    task = _project_task(ws, args.project)
    if args.augment is not None:
        from sftgui.core.tasks import get_task

        overrides["augmentation"] = get_task(task).augmentation_from_text(args.augment)
    config = TrainConfig.from_preset(args.preset, project=args.project, model=args.model or "bundled",
                                     snapshot_id=args.snapshot, task=task, **overrides)
    result = _with_ctrl_c(lambda sink, token: engine.run(config, sink, token, ws=ws, launch=launch or None),
                          Progress(args.json_events))
    return _report(result, args.json_events)


def _project_task(ws, project) -> str:
    """The project's task: its presets are the ones that apply."""
    from sftgui.core.projects import get_project

    return get_project(ws, project).task


# -- runs -------------------------------------------------------------------------------------
def _open_for_reading(ctx):
    """Open as a writer when free (which also marks runs of dead processes `interrupted`), else read-only."""
    from sftgui.errors import WorkspaceLocked

    try:
        return ctx.workspace()
    except WorkspaceLocked:
        return ctx.workspace(readonly=True)


def _version_refs(ws, project) -> dict[int, str]:
    from sftgui.core.versions import list_versions

    return {v.run_id: v.ref for v in list_versions(ws, project, include_trashed=True) if v.run_id}


def _runs_list(args, ctx) -> int:
    from sftgui.core.projects import get_project
    from sftgui.store import runs_repo

    ws = _open_for_reading(ctx)
    project = get_project(ws, args.project)
    refs = _version_refs(ws, project)
    rows = [{"id": r.id, "status": r.status, "started_at": r.started_at, "ended_at": r.ended_at,
             "version": refs.get(r.id), "accuracy": r.metrics.get("accuracy")} for r in runs_repo.list_runs(project.id)]
    if ctx.json:
        ctx.emit_json(rows)
    elif not rows:
        _say(f"Project {project.name} has no runs yet; 'sftgui train --project {project.name}' starts one.")
    else:
        for r in rows:
            acc = f"  accuracy {r['accuracy']:.1%}" if r["accuracy"] is not None else ""
            _say(f"run {r['id']:>3}  {r['status']:<11} {r['started_at'] or '':<25} {r['version'] or '':<20}{acc}")
    return 0


def _runs_show(args, ctx) -> int:
    from sftgui.core.projects import get_project
    from sftgui.store import runs_repo

    ws = _open_for_reading(ctx)
    run = runs_repo.get_run(args.run)
    project = get_project(ws, run.project_id)
    doc = {"id": run.id, "project": project.name, "status": run.status, "config": run.config, "device": run.device,
           "precision": run.precision, "wall_s": run.wall_s, "train_samples_per_second": run.train_samples_per_second,
           "metrics": run.metrics, "version": _version_refs(ws, project).get(run.id), "snapshot_id": run.snapshot_id,
           "last_step": run.last_step, "started_at": run.started_at, "ended_at": run.ended_at, "error": run.error,
           "log_path": run.log_path, "environment": run.environment}
    if ctx.json:
        ctx.emit_json(doc)
        return 0
    for key in ("id", "project", "status", "version", "snapshot_id", "device", "precision", "last_step", "wall_s",
                "train_samples_per_second", "started_at", "ended_at", "error", "log_path"):
        if doc[key] is not None:
            _say(f"{key:<26}{doc[key]}")
    if run.metrics.get("accuracy") is not None:
        _say(f"{'accuracy':<26}{run.metrics['accuracy']:.1%}")
    c = run.config
    _say(f"{'settings':<26}preset {c.get('preset')}, {c.get('epochs')} epochs, lr {c.get('learning_rate')}, "
          f"batch {c.get('batch_size')}x{c.get('grad_accumulation')}, max length {c.get('max_length')}, "
          f"model {c.get('model')}")
    return 0


def _runs_resume(args, ctx) -> int:
    from sftgui.core.training import engine

    from sftgui.core.training.distributed import joins_another_node

    launch = _launch(args)
    if joins_another_node(launch):
        return _join(args, launch)
    ws = ctx.workspace()
    result = _with_ctrl_c(lambda sink, token: engine.resume(args.run, sink, token, ws=ws, launch=launch or None,
                                                            processes=args.processes), Progress(args.json_events))
    return _report(result, args.json_events)


def _runs_cancel(args, ctx) -> int:
    from sftgui.core.training import engine
    from sftgui.errors import UserError, WorkspaceLocked
    from sftgui.store import runs_repo
    from sftgui.store.timeutil import now_iso

    try:
        ws = ctx.workspace()
    except WorkspaceLocked:
        # Another sftgui holds the workspace (normally the one training): ask it through the cancel file.
        ws = ctx.workspace(readonly=True)
        run = runs_repo.get_run(args.run)
        if run.status not in runs_repo.LIVE:
            raise UserError(f"Run {run.id} is not training (it is {run.status}); nothing to cancel.") from None
        path = engine.cancel_file(ws, run.id)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("cancel requested\n")
        print(f"Asked run {run.id} to stop: it saves a checkpoint and ends as cancelled (resumable).")
        return 0
    run = runs_repo.get_run(args.run)  # we hold the lock, so no process is training it
    if run.status in ("completed", "failed", "cancelled"):
        raise UserError(f"Run {run.id} already ended ({run.status}); nothing to cancel.")
    runs_repo.update_run(run.id, status="cancelled", ended_at=now_iso())
    print(f"Run {run.id} was not running any more; it is now marked cancelled (resume it with "
          f"'sftgui runs resume {run.id}').")
    return 0


# -- demo -------------------------------------------------------------------------------------
def _demo(args, ctx) -> int:
    from sftgui.core.tasks import get_task, registry

    task = get_task(args.task or registry.DEFAULT_TASK)
    if not task.labelled:  # a classifier's demo fixes labels and reports accuracy; others report their metrics
        return _task_demo(args, ctx, task)
    return _classifier_demo(args, ctx)


def _task_demo(args, ctx, task) -> int:
    """The demo of a task with a sample of its own (`Task.sample`): import, check, train (Quick),
    evaluate, export, and a few answers when the task writes them."""
    from sftgui.config import TrainConfig
    from sftgui.core import projects
    from sftgui.core.data import quality
    from sftgui.core.data.importers import import_file
    from sftgui.core.data.snapshots import freeze_snapshot
    from sftgui.core.evaluation import evaluate_version
    from sftgui.core.export import export_version
    from sftgui.core.training import engine
    from sftgui.errors import UserError

    shipped = task.sample()
    if not shipped:
        raise UserError(f"There is no sample project for {task.name} yet.")
    name, sample = shipped
    ws = ctx.workspace()
    say = (lambda text: print(text, file=sys.stderr)) if args.json_events else print
    if name in [p.name for p in projects.list_projects(ws)]:
        project = projects.get_project(ws, name)
        say(f"Found project {name}; training a new version on its current data.")
    else:
        project = projects.create_project(ws, name, task.name)
        imported = import_file(ws, project, sample)
        say(f"1. Imported {imported.rows} examples from {sample.name} into project {name}.")
    report = quality.check_draft(ws, project, check_length=False)
    say(f"2. Checked the data: {report.rows} examples, {len(report.findings)} finding(s)"
        + "".join(f"\n   - {f.message}" for f in report.findings))
    snapshot = freeze_snapshot(ws, project)
    say(f"3. Training {args.model or 'the bundled model'} with the Quick preset on snapshot {snapshot.id} "
        f"({snapshot.rows} examples)...")
    config = TrainConfig.from_preset("quick", project=project.name, task=task.name, model=args.model or "bundled",
                                     snapshot_id=snapshot.id)
    result = _with_ctrl_c(lambda sink, token: engine.run(config, sink, token, ws=ws), Progress(args.json_events))
    code = _report(result, args.json_events)
    if code:
        return code
    version = result.version
    evaluation = evaluate_version(ws, version)
    say(f"4. Evaluated {version.ref} on {evaluation['metrics']['examples']} held-out examples: "
        + _metrics_text(task.headline(evaluation["metrics"])))
    for row in evaluation["rows"][:3]:
        if "predicted" in row and "prompt" in row:
            say(f"   prompt: {row['prompt']}\n   answer: {row['predicted']}")
    out = ws.path / "exports" / f"{project.name}-v{version.number}"
    out.parent.mkdir(parents=True, exist_ok=True)
    path = export_version(ws, version, out, fmt="hf", force=True, own=out.parent)
    say(f"5. Exported {version.ref} as a Hugging Face folder: {path}")
    say(f"Summary: {version.ref} added {version.weights_new_bytes / 2**20:.1f} MiB to the workspace; trained in "
        f"{_duration(result.wall_s)} on {version.metrics['training']['device']}.")
    return 0


def _classifier_demo(args, ctx) -> int:
    """Import the sample, check and fix it, train (Quick), register, evaluate, export, summarise."""
    from sftgui.config import TrainConfig
    from sftgui.core import projects
    from sftgui.core.data import quality
    from sftgui.core.data.importers import import_file
    from sftgui.core.data.snapshots import freeze_snapshot
    from sftgui.core.training import engine
    from sftgui.core.versions import list_versions
    from sftgui.resources import SAMPLE_CSV, resource_path

    from sftgui.core.tasks import get_task

    ws = ctx.workspace()
    say = (lambda text: print(text, file=sys.stderr)) if args.json_events else print
    task = get_task(args.task)
    shipped = task.sample()
    sample_project, sample = shipped if shipped else (SAMPLE_PROJECT, resource_path(SAMPLE_CSV))
    names = [p.name for p in projects.list_projects(ws)]
    if sample_project in names:
        project = projects.get_project(ws, sample_project)
        have = [f"v{v.number}" for v in list_versions(ws, project)]
        say(f"Found project {sample_project} ({', '.join(have) or 'no versions yet'}); training a new version "
            "on its current data.")
    else:
        if names:
            say(f"This workspace already has {len(names)} project(s) ({', '.join(names)}); they are left alone.")
        project = projects.create_project(ws, sample_project, task.name)
        imported = import_file(ws, project, sample)
        say(f"1. Imported {imported.rows} rows from {sample.name} into project {sample_project}.")
    report = quality.check_draft(ws, project, check_length=False)
    say(f"2. Checked the data: {report.labelled} labelled rows, {len(report.findings)} finding(s)"
        + "".join(f"\n   - {f.message}" for f in report.findings))
    fixed = (quality.drop_empty(ws, project) + quality.drop_duplicates(ws, project)
             + quality.resolve_conflicts(ws, project, "majority"))
    if fixed:
        say(f"   Fixed {fixed} row(s): empty rows and repeats removed, conflicting labels set to the majority.")
    snapshot = freeze_snapshot(ws, project)
    say(f"3. Training the {'bundled' if not args.model else args.model} model with the Quick preset on snapshot "
        f"{snapshot.id} ({snapshot.rows} rows)...")
    config = TrainConfig.from_preset("quick", project=project.name, model=args.model or "bundled",
                                     snapshot_id=snapshot.id, task=task.name)
    result = _with_ctrl_c(lambda sink, token: engine.run(config, sink, token, ws=ws), Progress(args.json_events))
    code = _report(result, args.json_events)
    if code:
        return code
    version = result.version
    try:
        from sftgui.core.evaluation import evaluate_version

        evaluation = evaluate_version(ws, version)["metrics"]
        say(f"4. Evaluated {version.ref} on {evaluation['examples']} test rows: accuracy "
            f"{evaluation['accuracy']:.1%}, macro F1 {evaluation['macro_f1']:.3f}.")
    except ImportError:
        say("4. Evaluation is not available in this build; the training metrics above are on the test data.")
    out = ws.path / "exports" / f"{project.name}-v{version.number}"
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        from sftgui.core.export import export_version

        path = export_version(ws, version, out, fmt="hf", force=True, own=out.parent)
        say(f"5. Exported {version.ref} as a Hugging Face folder: {path}")
    except ImportError:
        say("5. Export is not available in this build; nothing was exported.")
    m = version.metrics
    say(f"Summary: {version.ref} is live (alias production: {'production' in version.aliases}); accuracy "
        f"{m['accuracy']:.1%}, macro F1 {m['macro_f1']:.3f}; trained in {_duration(result.wall_s)} on "
        f"{m['training']['device']} ({m['training']['precision']}).")
    return 0
