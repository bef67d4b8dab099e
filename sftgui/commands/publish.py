"""`sftgui publish V --mlflow URI [--name NAME] [--alias A ...]` (MLflow is the optional extra `mlflow`)."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser(
        "publish", help="log a version's run to MLflow and register its model there (needs sftgui[mlflow])",
        description="Log a version's run (settings, curves, metrics, model card) to an MLflow tracking server "
        "and register its model in the MLflow model registry with the transformers flavour; sftgui's aliases "
        "(production, ...) are mirrored there for the versions published. Publishing again only mirrors the aliases.")
    p.add_argument("version", metavar="V", help="vN with --project, PROJECT@vN or PROJECT@ALIAS")
    p.add_argument("--project")
    add_mlflow_args(p, required=True)
    p.add_argument("--alias", action="append", metavar="A",
                   help="mirror only this alias of sftgui's (repeatable; default: every alias of the project)")
    p.add_argument("--json", action="store_true", help="print JSON: {version, name, model_version, run_id, "
                   "reused, aliases, skipped}")
    p.set_defaults(func=_publish)


def add_mlflow_args(p, *, required: bool) -> None:
    """--mlflow URI and --name NAME; `rollback` and `aliases set` take them too (moving the MLflow alias)."""
    p.add_argument("--mlflow", metavar="URI", required=required,
                   help="MLflow tracking URI: a server (http://host:5000) or a database (sqlite:///mlflow.db)"
                   + ("" if required else "; the MLflow alias moves too (the version must be published there)"))
    p.add_argument("--name", dest="mlflow_name", metavar="NAME",
                   help="the registered model's name in MLflow (default: the project's name)")


def _publish(args, ctx) -> int:
    from sftgui.commands.evaluate import _progress, _workspace
    from sftgui.core.publish import publish_version
    from sftgui.core.versions import resolve_version

    ws = _workspace(ctx, writes_cache=True)
    version = resolve_version(ws, args.version, project=args.project)
    out = publish_version(ws, version, args.mlflow, name=args.mlflow_name, aliases=args.alias,
                          progress=None if ctx.json else _progress(ctx))
    if ctx.json:
        ctx.emit_json({"version": out.version, "name": out.name, "model_version": out.model_version,
                       "run_id": out.run_id, "reused": out.reused, "aliases": out.aliases, "skipped": out.skipped})
        return 0
    what = "was already" if out.reused else "is now"
    ctx.say(f"{out.version} {what} version {out.model_version} of the MLflow model {out.name} (run {out.run_id}).")
    for alias, mv in out.aliases.items():
        ctx.say(f"  MLflow alias {alias} -> version {mv}")
    for alias, why in out.skipped.items():
        ctx.say(f"  MLflow alias {alias} left as it was: {why}")
    return 0
