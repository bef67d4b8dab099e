"""`sftgui explain V TEXT`: which words pushed the version's answer toward each label."""

from __future__ import annotations


def register(sub) -> None:
    e = sub.add_parser("explain", help="which words pushed a version's answer toward each label",
                       description="Explain one answer of a version: how much each word pushed it toward a label "
                       "(integrated gradients). Positive numbers pushed toward the label, negative away from it.")
    e.add_argument("version", metavar="V", help="vN with --project, P@vN or P@production")
    e.add_argument("text", metavar="TEXT")
    e.add_argument("--project", metavar="P")
    e.add_argument("--label", metavar="L", help="explain only this label (default: every label)")
    e.add_argument("--steps", type=int, default=None, help="integrated-gradients steps (default 50)")
    e.add_argument("--top", type=int, default=5, help="words listed per label (default 5)")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=_explain)


def _explain(args, ctx) -> int:
    from sftgui.core import explain
    from sftgui.core.versions import resolve_version

    ws = _workspace(ctx)
    version = resolve_version(ws, args.version, args.project)
    out = explain.explain_input(ws, version, args.text, label=args.label, steps=args.steps or explain.STEPS)
    if ctx.json:
        ctx.emit_json(out)
        return 0
    scores = ", ".join(f"{k} {v:.0%}" for k, v in sorted(out["scores"].items(), key=lambda kv: -kv[1]))
    print(f"{out['version']} says {out['predicted']!r} ({scores}).")
    for label, values in out["attributions"].items():
        ranked = sorted(zip((p["text"] for p in out["parts"]), values), key=lambda t: -abs(t[1]))[: args.top]
        words = ", ".join(f"{w} {v:+.2f}" for w, v in ranked)
        print(f"  toward {label!r}: {words}  (sum {sum(values):+.2f}, completeness error {out['delta'][label]:+.3f})")
    if out.get("truncated"):
        print("  (the text is longer than the model reads; only the part it reads is explained)")
    return 0


def _workspace(ctx):
    """A writer when free (the explanation goes to the audit log), else read-only."""
    from sftgui.errors import WorkspaceLocked

    try:
        return ctx.workspace()
    except WorkspaceLocked:
        return ctx.workspace(readonly=True)
