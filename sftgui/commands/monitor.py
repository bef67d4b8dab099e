"""`sftgui monitor add|show|score|adopt`: check versions on dated batches of new labelled rows."""

from __future__ import annotations


def register(sub) -> None:
    m = sub.add_parser("monitor", help="check versions on new labelled data over time (drops and drift)")
    ms = m.add_subparsers(dest="monitor_command", metavar="ACTION")
    a = ms.add_parser("add", help="add a dated batch of newly labelled rows and score versions on it",
                      description="Keep the labelled rows of FILE as a dated monitoring batch (never used for "
                      "training unless you adopt it), check it for drift from the training data, and score the "
                      "production version (and --versions) on it.")
    a.add_argument("file", metavar="FILE")
    a.add_argument("--project", required=True, metavar="P")
    a.add_argument("--date", metavar="YYYY-MM-DD", help="when these rows were collected (default: today)")
    a.add_argument("--versions", metavar="V,V", help="more versions to score besides production (vN or P@vN)")
    a.add_argument("--text-col", metavar="C")
    a.add_argument("--label-col", metavar="C")
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=_add)
    s = ms.add_parser("show", help="each version's scores over the batches, with warnings")
    s.add_argument("--project", required=True, metavar="P")
    s.add_argument("--drop", type=float, default=None, metavar="POINTS",
                   help="warn when a version scores this many points below its own test score (default 5)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=_show)
    c = ms.add_parser("score", help="score more versions on a batch")
    c.add_argument("batch", type=int, metavar="BATCH")
    c.add_argument("versions", nargs="+", metavar="V")
    c.add_argument("--project", required=True, metavar="P")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=_score)
    d = ms.add_parser("adopt", help="add a batch's rows to the draft, so the next training can learn from them")
    d.add_argument("batch", type=int, metavar="BATCH")
    d.add_argument("--project", required=True, metavar="P")
    d.set_defaults(func=_adopt)


def _add(args, ctx) -> int:
    from sftgui.core import monitor

    refs = tuple(v.strip() for v in (args.versions or "").split(",") if v.strip())
    out = monitor.add_batch(ctx.workspace(), args.project, args.file, date=args.date, versions=refs,
                            text_col=args.text_col, label_col=args.label_col)
    if ctx.json:
        ctx.emit_json(out)
        return 0
    print(f"Batch {out['id']} of {out['date']}: {out['rows']} rows from {out['source']}.")
    for ref, scores in out["scores"].items():
        print(f"  {ref}: " + ", ".join(f"{k} {v:.1%}" for k, v in scores.items() if v is not None))
    for c in out["drift"]:
        flag = "DRIFT" if c["drifted"] else "ok"
        print(f"  {c['title']}: {flag} ({c['test']}, p = {c['p_value']:.2g})" + (f" - {c['sentence']}" if c["drifted"] else ""))
    return 0


def _show(args, ctx) -> int:
    from sftgui.core import monitor

    rep = monitor.report(_reader(ctx), args.project,
                         drop_points=monitor.DEFAULT_DROP_POINTS if args.drop is None else args.drop)
    if ctx.json:
        ctx.emit_json(rep)
        return 0
    if not rep["batches"]:
        print(f"No monitoring batches yet; `sftgui monitor add FILE --project {rep['project']}` adds one.")
        return 0
    for ref, v in rep["versions"].items():
        print(f"{ref}" + (f" [{', '.join(v['aliases'])}]" if v["aliases"] else ""))
        for key in rep["metrics"]:
            test = v["test"].get(key)
            points = "  ".join(f"{p['date']} {p['value']:.1%}" for p in v["series"][key] if p["value"] is not None)
            print(f"  {rep['titles'][key]:<12} test {'-' if test is None else f'{test:.1%}'}  |  {points}")
    for w in rep["warnings"]:
        print(f"Warning: {w['sentence']}")
    if not rep["warnings"]:
        print(f"No warnings (a drop of more than {rep['drop_points']:g} points, or drift at p < 0.01, would warn).")
    return 0


def _score(args, ctx) -> int:
    from sftgui.core import monitor

    out = monitor.score_batch(ctx.workspace(), args.project, args.batch, args.versions)
    if ctx.json:
        ctx.emit_json(out)
        return 0
    for ref, scores in out.items():
        print(f"{ref}: " + ", ".join(f"{k} {v:.1%}" for k, v in scores.items() if v is not None))
    return 0


def _adopt(args, ctx) -> int:
    from sftgui.core import monitor

    n = monitor.adopt_batch(ctx.workspace(), args.project, args.batch)
    print(f"Added {n} rows of batch {args.batch} to the draft of {args.project}; the next training can learn from them.")
    return 0


def _reader(ctx):
    from sftgui.errors import WorkspaceLocked

    try:
        return ctx.workspace()
    except WorkspaceLocked:
        return ctx.workspace(readonly=True)
