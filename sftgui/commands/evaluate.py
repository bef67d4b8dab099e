"""`sftgui evaluate|compare|predict|export|hints` (contract: shared/CLI.md)."""

from __future__ import annotations

import json
import sys

from sftgui.commands import validate
from sftgui.errors import WorkspaceLocked

VERSION_HELP = "vN with --project, PROJECT@vN or PROJECT@ALIAS"


def register(sub) -> None:
    def command(name, help, func, *, many=False):
        p = sub.add_parser(name, help=help)
        if many:
            p.add_argument("versions", metavar="V", nargs="+", help=VERSION_HELP)
        else:
            p.add_argument("version", metavar="V", help=VERSION_HELP)
        p.add_argument("--project", help="the project of versions written as vN")
        p.set_defaults(func=func)
        return p

    ev = command("evaluate", "accuracy, F1, per-label scores, confusion matrix and worst mistakes", _evaluate)
    ev.add_argument("--snapshot", type=validate.identifier, metavar="ID", help="test split of this dataset snapshot (default: its own)")
    ev.add_argument("--json", action="store_true", help="print JSON")

    cmp = command("compare", "compare two or more versions on the first one's test set", _compare, many=True)
    cmp.add_argument("--json", action="store_true", help="print JSON: {versions, metrics, prediction_diff, ...}")

    pr = command("predict", "what a version says about some texts", _predict)
    pr.add_argument("texts", metavar="TEXT", nargs="*")
    pr.add_argument("--file", metavar="PATH", help="predict every text of a table file (CSV, TSV, Excel, JSON lines, Parquet) with a "
                    "'text' column (or --column); read and answered a chunk at a time")
    pr.add_argument("--column", metavar="NAME", help="the CSV column that holds the texts (default: text)")
    pr.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"),
                    help="where the model runs (default: auto, a GPU when there is one)")
    pr.add_argument("--top-k", type=validate.count, metavar="K", help="show the K most likely labels (default: all)")
    pr.add_argument("--json", action="store_true", help="print JSON: [{text, label, scores}]")

    ex = command("export", "write a version as a model folder, a zip archive or an ONNX graph", _export)
    ex.add_argument("--out", required=True, metavar="DIR", help="destination folder (or archive for zip)")
    ex.add_argument("--format", default="hf", choices=_formats(),
                    help="default: hf; adapter: a LoRA version's adapter alone (PEFT format)")
    ex.add_argument("--force", action="store_true", help="replace a non-empty destination")
    ex.add_argument("--json", action="store_true", help="print JSON: {path, format}")

    hi = command("hints", "labels to double-check, and which unlabelled rows to label next", _hints)
    hi.add_argument("--limit", type=validate.count, default=20, metavar="N", help="rows per list (default: 20)")
    hi.add_argument("--method", choices=("margin", "entropy"), default="margin", help="uncertainty measure")
    hi.add_argument("--json", action="store_true", help="print JSON: {label_errors, label_next}")


# -- helpers ----------------------------------------------------------------------------------
def _formats() -> tuple[str, ...]:
    from sftgui.core.tasks import registry

    return registry.export_formats()


def _metric_text(task, m: dict, delta: dict | None = None) -> str:
    """The task's headline metrics in words: "accuracy 91.0% (+2.0%)   ..." (the task names them)."""
    parts = []
    for metric in task.metrics:
        value = m.get(metric.key)
        if value is None:
            continue
        text = _pct(value).strip() if metric.percent else f"{value:.4g}"
        d = (delta or {}).get(metric.key)
        if d is not None:
            text += f" ({d:+.1%})" if metric.percent else f" ({d:+.4g})"
        parts.append(f"{metric.title.lower()} {text}")
    return "   ".join(parts)


def _workspace(ctx, *, writes_cache: bool):
    """Evaluation caches results when it may write; while another sftgui holds the workspace it
    still answers (read-only, computing without caching)."""
    if writes_cache:
        try:
            return ctx.workspace()
        except WorkspaceLocked:
            pass
    return ctx.workspace(readonly=(ctx.workspace_path / "sftgui.db").exists())


def _resolve(ws, ref, args):
    from sftgui.core.versions import resolve_version

    return resolve_version(ws, ref, getattr(args, "project", None))


def _progress(ctx):
    """A bar on a terminal, plain lines otherwise; nothing under --json (stdout stays one document)."""
    tty = sys.stderr.isatty()
    last = [None]

    def show(fraction, message):
        if tty:
            bar = "#" * int(24 * fraction)
            sys.stderr.write(f"\r[{bar:<24}] {fraction:4.0%} {message[:60]:<60}")
            if fraction >= 1.0:
                sys.stderr.write("\n")
        elif message != last[0]:
            sys.stderr.write(f"{fraction:4.0%} {message}\n")
        last[0] = message
        sys.stderr.flush()

    return show


def _pct(x) -> str:
    return f"{100 * x:5.1f}%"


# -- handlers ---------------------------------------------------------------------------------
def _evaluate(args, ctx) -> int:
    from sftgui.core.evaluation import evaluate_version

    ws = _workspace(ctx, writes_cache=True)
    v = _resolve(ws, args.version, args)
    r = evaluate_version(ws, v, args.snapshot, progress=None if ctx.json else _progress(ctx))
    if ctx.json:
        ctx.emit_json({k: r[k] for k in ("version", "snapshot_id", "split", "labels", "metrics", "mistakes")})
        return 0
    m = r["metrics"]
    ctx.say(f"{r['version']} on the test split of snapshot {r['snapshot_id']} ({m['examples']} examples)")
    from sftgui.core.tasks import task_of

    if "per_class" not in m:  # a task without labels: its metrics, then some answers
        ctx.say("  " + _metric_text(task_of(v), m))
        for x in r["rows"][:5]:
            ctx.say(f"    row {x['row_id']}: {str(x.get('prompt'))[:60]!r} -> {str(x.get('predicted'))[:70]!r}")
        return 0
    ctx.say(f"  accuracy {_pct(m['accuracy'])}   macro F1 {_pct(m['macro_f1'])}   weighted F1 {_pct(m['weighted_f1'])}")
    width = max(len(x) for x in m["per_class"])
    ctx.say(f"  {'label':<{width}}  precision  recall     F1  examples")
    for name, c in m["per_class"].items():
        ctx.say(f"  {name:<{width}}     {_pct(c['precision'])}  {_pct(c['recall'])} {_pct(c['f1'])}  {c['support']:8d}")
    if r["mistakes"]:
        ctx.say("  most confident mistakes:")
        for x in r["mistakes"][:5]:
            ctx.say(f"    row {x['row_id']}: said {x['predicted']} ({x['confidence']:.0%}), labelled {x['label']}: {x['text'][:70]!r}")
    return 0


def _compare(args, ctx) -> int:
    from sftgui.core.compare import compare_versions

    ws = _workspace(ctx, writes_cache=True)
    versions = [_resolve(ws, ref, args) for ref in args.versions]
    out = compare_versions(ws, versions, progress=None if ctx.json else _progress(ctx))
    if ctx.json:
        ctx.emit_json(out)
        return 0
    t = out["test_set"]
    ctx.say(f"On {t['of']}'s test set ({t['examples']} examples, snapshot {t['snapshot_id']}):")
    ctx.say(f"  {t['sentence']}")
    if t.get("warning"):
        ctx.say(f"  Warning: {t['warning']}")
    from sftgui.core.tasks import get_task

    task = get_task(out["task"])
    for ref, m in out["metrics"].items():
        ctx.say(f"  {ref:<24} " + _metric_text(task, m, m["delta"]))
    for ref, diff in out["prediction_diffs"].items():
        ctx.say(f"  {out['versions'][0]} -> {ref}: {diff['fixed']} fixed, {diff['broken']} broken, "
                f"{diff['still_wrong']} still wrong, {diff['both_right']} right in both")
        for a in diff.get("answers", []):  # a language model's answers, side by side
            ctx.say(f"    prompt: {str(a['prompt'])[:100]!r}")
            ctx.say(f"      {out['versions'][0]:<20} {str(a['before'])[:100]!r}")
            ctx.say(f"      {ref:<20} {str(a['after'])[:100]!r}")
    for key, values in out["config_diff"].items():
        ctx.say(f"  setting {key}: " + ", ".join(f"{r}={v}" for r, v in values.items()))
    for ref, d in out["snapshot_diff"].items():
        if d and not d.get("same_snapshot"):
            ctx.say(f"  data for {ref}: {d['added']} rows added, {d['removed']} removed, {d['relabelled']} relabelled, "
                    f"{d.get('moved', 0)} moved to another split")
    return 0


def _predict(args, ctx) -> int:
    from sftgui.core.predict import predict_texts, runs_on, stream_predictions
    from sftgui.errors import UserError

    if bool(args.texts) == bool(args.file):
        raise UserError("Give the texts to predict, or a file of them with --file (not both).")
    if args.column and not args.file:
        raise UserError("--column names a column of the --file; give the file too.")
    where = runs_on(args.device)  # refuses a device that is not here before any work
    ws = _workspace(ctx, writes_cache=False)
    version = _resolve(ws, args.version, args)
    if args.file:
        from sftgui.core.predict import file_texts

        rows, texts = file_texts(args.file, args.column)  # the whole file is checked before any answer
        answers = stream_predictions(ws, version, texts(), top_k=args.top_k, device=args.device, expected=rows)
    else:
        rows, answers = len(args.texts), predict_texts(ws, version, args.texts, top_k=args.top_k, device=args.device)
    import itertools

    answers = iter(answers)
    first = next(answers)  # the model loads (or refuses) before anything is written
    answers = itertools.chain([first], answers)
    if ctx.json:  # one JSON list, written an answer at a time (a file's answers are never all held)
        sys.stdout.write("[")
        for i, o in enumerate(answers):
            sys.stdout.write(",\n" if i else "\n")
            sys.stdout.write(json.dumps(o, default=str, ensure_ascii=False))
        sys.stdout.write("\n]\n")
        return 0
    print(f"{where}; {rows:,} text{'s' if rows != 1 else ''}", file=sys.stderr)
    for o in answers:
        if "answer" in o:  # a language model writes an answer
            ctx.say(o["answer"])
            continue
        scores = ", ".join(f"{k} {p:.0%}" for k, p in o["scores"].items())
        ctx.say(f"{o['label']}\t{o['text'][:70]!r}  ({scores})")
    return 0


def _export(args, ctx) -> int:
    from sftgui.core.export import export_version

    ws = _workspace(ctx, writes_cache=False)
    v = _resolve(ws, args.version, args)
    path = export_version(ws, v, args.out, fmt=args.format, force=args.force,
                          progress=None if ctx.json else _progress(ctx))
    if ctx.json:
        ctx.emit_json({"version": v.ref, "format": args.format, "path": str(path)})
    else:
        ctx.say(f"Exported {v.ref} to {path}")
    return 0


def _hints(args, ctx) -> int:
    from sftgui.core.hints import hints_for

    ws = _workspace(ctx, writes_cache=False)
    out = hints_for(ws, _resolve(ws, args.version, args), limit=args.limit, method=args.method)
    if ctx.json:
        ctx.emit_json(out)
        return 0
    errs, nxt = out["label_errors"], out["label_next"]
    ctx.say(f"Labels to double-check ({errs['found']} found in {errs['scanned']} labelled rows):")
    for h in errs["rows"]:
        ctx.say(f"  row {h['row_id']}: labelled {h['label']}, model says {h['suggested']} ({h['confidence']:.0%}): {h['text'][:60]!r}")
    ctx.say(f"Label next ({nxt['scanned']} unlabelled rows read, most uncertain first):")
    for r in nxt["rows"]:
        ctx.say(f"  row {r['row_id']}: model unsure ({r['predicted']} {r['confidence']:.0%}): {r['text'][:60]!r}")
    if errs["rows"]:
        ctx.say("Fix a label with: sftgui data label --project P --row ID --label L")
    return 0
