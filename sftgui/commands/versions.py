"""`sftgui versions ...`, `rollback`, `aliases history|set`, `audit`, `verify`, `gc` (contract: shared/CLI.md)."""

from __future__ import annotations


def register(sub) -> None:
    from sftgui.commands.publish import add_mlflow_args

    v = sub.add_parser("versions", help="list, inspect and annotate model versions")
    vsub = v.add_subparsers(dest="versions_command", metavar="ACTION")

    ls = vsub.add_parser("list", help="the versions of a project")
    ls.add_argument("--project", required=True)
    ls.add_argument("--all", action="store_true", help="include versions in the trash")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.set_defaults(func=_list)

    def version_parser(name, help, func, readonly=True):
        p = vsub.add_parser(name, help=help)
        p.add_argument("version", metavar="V", help="vN with --project, PROJECT@vN or PROJECT@ALIAS")
        p.add_argument("--project")
        p.set_defaults(func=func)
        return p

    version_parser("show", "everything about one version", _show).add_argument("--json", action="store_true", help="print JSON")
    version_parser("lineage", "the family tree of a version (what it was trained from)", _lineage)
    version_parser("notes", "replace the notes of a version", _notes).add_argument("text")
    tag = version_parser("tag", "add (or --remove) a tag", _tag)
    tag.add_argument("tag")
    tag.add_argument("--remove", action="store_true", help="remove the tag instead")
    version_parser("trash", "hide a version (nothing is deleted; refused while an alias points to it)",
                   _trash).add_argument("--reason", default="", help="why (kept in the audit log)")
    version_parser("restore", "bring a version back from the trash", _restore).add_argument(
        "--reason", default="", help="why (kept in the audit log)")
    version_parser("purge", "delete a version for good (refused while an alias points to it or a version "
                   "continued from it); 'sftgui gc' then frees its bytes", _purge).add_argument(
        "--reason", required=True, help="why (kept with a tombstone in the audit log)")

    au = sub.add_parser("audit", help="the history: what changed, who, when and why")
    au.add_argument("--project", help="only this project's events")
    au.add_argument("--limit", type=int, help="the newest N events only")
    au.add_argument("--json", action="store_true", help="print JSON: [{at, user, action, target, what, why, detail}]")
    au.set_defaults(func=_audit)

    rb = sub.add_parser("rollback", help="make an earlier version live again (moves the production alias)")
    rb.add_argument("--project", required=True)
    rb.add_argument("--to", required=True, metavar="V", help="the version to make live")
    rb.add_argument("--reason", default="", help="why (kept in the alias history)")
    rb.add_argument("--alias", default="production", help="the alias to move (default: production)")
    add_mlflow_args(rb, required=False)
    rb.set_defaults(func=_rollback)

    a = sub.add_parser("aliases", help="named pointers to versions (production, staging, ...)")
    asub = a.add_subparsers(dest="aliases_command", metavar="ACTION")
    hist = asub.add_parser("history", help="every move of every alias, oldest first")
    hist.add_argument("--project", required=True)
    hist.add_argument("--alias", help="only this alias")
    hist.add_argument("--json", action="store_true", help="print JSON: [{alias, from, to, at, reason}]")
    hist.set_defaults(func=_history)
    st = asub.add_parser("set", help="point an alias at a version")
    st.add_argument("alias")
    st.add_argument("version", metavar="V")
    st.add_argument("--project", required=True)
    st.add_argument("--reason", default="")
    add_mlflow_args(st, required=False)
    st.set_defaults(func=_set_alias)

    ver = sub.add_parser("verify", help="re-check every stored file and every reference of the workspace")
    ver.add_argument("--json", action="store_true", help="print JSON: {ok, blobs_checked, missing, corrupt, orphans}")
    ver.set_defaults(func=_verify)

    gc = sub.add_parser("gc", help="remove stored files that no version or snapshot refers to")
    gc.add_argument("--dry-run", action="store_true", help="only say what would be removed")
    gc.add_argument("--json", action="store_true", help="print JSON")
    gc.set_defaults(func=_gc)


# -- presenting a version ---------------------------------------------------------------------
def _row(v) -> dict:
    return {
        "version": v.ref,
        "number": v.number,
        "created_at": v.created_at,
        "parent": f"{v.project_name}@v{v.parent_number}" if v.parent_number else None,
        "base_model": v.base_model,
        "dataset_snapshot": v.snapshot_id,
        "metrics": {"accuracy": v.metrics.get("accuracy"), "macro_f1": v.metrics.get("macro_f1")},
        "aliases": list(v.aliases),
        "tags": list(v.tags),
        "trashed": v.trashed_at is not None,
        "damaged": v.damaged,
    }


def _details(v) -> dict:
    return {
        **_row(v),
        "config": v.config,
        "run": v.run_id,
        "weights": {"tensors": v.weights_tensors, "bytes": v.weights_bytes, "new_bytes": v.weights_new_bytes},
        "labels": list(v.labels),
        "notes": v.notes,
        "all_metrics": v.metrics,
        "trashed_at": v.trashed_at,
    }


def _fmt(x) -> str:
    return "-" if x is None else f"{x:.3f}"


def _line(v) -> str:
    extra = []
    if v.aliases:
        extra.append("[" + ", ".join(v.aliases) + "]")
    if v.tags:
        extra.append("tags: " + ", ".join(v.tags))
    if v.trashed_at:
        extra.append("(in the trash)")
    if v.damaged:
        extra.append("(DAMAGED)")
    m = v.metrics
    return (
        f"v{v.number}\t{v.created_at}\taccuracy {_fmt(m.get('accuracy'))}\tmacro F1 {_fmt(m.get('macro_f1'))}"
        f"\t{'from v' + str(v.parent_number) if v.parent_number else v.base_model}"
        + ("\t" + " ".join(extra) if extra else "")
    )


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


# -- handlers ---------------------------------------------------------------------------------
def _resolve(args, ws):
    from sftgui.core.versions import resolve_version

    return resolve_version(ws, args.version, project=args.project)


def _list(args, ctx) -> int:
    from sftgui.core.versions import list_versions

    items = list_versions(ctx.workspace(readonly=True), args.project, include_trashed=args.all)
    if ctx.json:
        ctx.emit_json([_row(v) for v in items])
    elif not items:
        ctx.say(f"Project {args.project} has no versions yet; train one with 'sftgui train --project {args.project}'.")
    else:
        for v in items:
            ctx.say(_line(v))
    return 0


def _show(args, ctx) -> int:
    v = _resolve(args, ctx.workspace(readonly=True))
    d = _details(v)
    if ctx.json:
        ctx.emit_json(d)
        return 0
    ctx.say(_line(v))
    for key in ("parent", "base_model", "dataset_snapshot", "run", "labels", "notes", "damaged"):
        if d[key] not in (None, "", []):
            ctx.say(f"  {key.replace('_', ' ')}: {d[key]}")
    w = d["weights"]
    ctx.say(f"  weights: {w['tensors']} tensors, {_mib(w['bytes'])} ({_mib(w['new_bytes'])} new when registered)")
    return 0


def _lineage(args, ctx) -> int:
    from sftgui.core.versions import lineage

    ws = ctx.workspace(readonly=True)
    chosen = _resolve(args, ws)
    ctx.say(f"{chosen.project_name}")
    for depth, v in lineage(ws, chosen):
        marker = "  <- this one" if v.id == chosen.id else ""
        ctx.say(f"{'    ' * depth}└─ {_line(v)}{marker}")
    return 0


def _notes(args, ctx) -> int:
    from sftgui.core.versions import set_notes

    v = set_notes(ctx.workspace(), _resolve(args, ctx.workspace()), args.text)
    ctx.say(f"Notes of {v.ref} saved.")
    return 0


def _tag(args, ctx) -> int:
    from sftgui.core.versions import tag_version

    v = tag_version(ctx.workspace(), _resolve(args, ctx.workspace()), args.tag, remove=args.remove)
    ctx.say(f"{v.ref} tags: {', '.join(v.tags) or '(none)'}")
    return 0


def _trash(args, ctx) -> int:
    from sftgui.core.versions import trash_version

    v = trash_version(ctx.workspace(), _resolve(args, ctx.workspace()), reason=args.reason)
    ctx.say(f"{v.ref} is in the trash (nothing was deleted; 'sftgui versions restore {v.ref}' brings it back).")
    return 0


def _restore(args, ctx) -> int:
    from sftgui.core.versions import restore_version

    v = restore_version(ctx.workspace(), _resolve(args, ctx.workspace()), reason=args.reason)
    ctx.say(f"{v.ref} is back.")
    return 0


def _purge(args, ctx) -> int:
    from sftgui.core.purge import purge_version

    done = purge_version(ctx.workspace(), _resolve(args, ctx.workspace()), reason=args.reason)
    if ctx.json:
        ctx.emit_json(done)
    else:
        ctx.say(f"{done['purged']} is removed for good; the audit log keeps what it was and why. "
                "'sftgui gc' frees its stored files.")
    return 0


def _audit(args, ctx) -> int:
    from sftgui.core.audit import history

    events = history(ctx.workspace(readonly=True), args.project, limit=args.limit)
    if ctx.json:
        ctx.emit_json(events)
    elif not events:
        ctx.say("Nothing has happened yet" + (f" in project {args.project}." if args.project else "."))
    else:
        for e in events:
            why = f"  because: {e['why']}" if e["why"] else ""
            ctx.say(f"{e['at'][:19].replace('T', ' ')}\t{e['user'] or '-'}\t{e['what']}{why}")
    return 0


def _say_move(ctx, project, e) -> None:
    was = f"v{e.from_number}" if e.from_number else "nothing"
    ctx.say(f"{e.alias} of {project} now points to v{e.to_number} (was {was}).")


def _move_alias(ctx, args, alias: str, to) -> int:
    """`rollback` and `aliases set`: with --mlflow the MLflow alias moves too."""
    if not args.mlflow:
        from sftgui.core.versions import set_alias

        _say_move(ctx, args.project, set_alias(ctx.workspace(), args.project, alias, to, reason=args.reason))
        return 0
    from sftgui.core.publish import set_alias_mirrored

    event, mv = set_alias_mirrored(ctx.workspace(), args.project, alias, to, reason=args.reason,
                                   uri=args.mlflow, name=args.mlflow_name)
    _say_move(ctx, args.project, event)
    ctx.say(f"  MLflow alias {alias} -> version {mv}")
    return 0


def _rollback(args, ctx) -> int:
    return _move_alias(ctx, args, args.alias, args.to)


def _set_alias(args, ctx) -> int:
    return _move_alias(ctx, args, args.alias, args.version)


def _history(args, ctx) -> int:
    from sftgui.core.versions import alias_history

    events = alias_history(ctx.workspace(readonly=True), args.project, args.alias)
    items = [
        {
            "alias": e.alias,
            "from": f"v{e.from_number}" if e.from_number else None,
            "to": f"v{e.to_number}",
            "at": e.at,
            "reason": e.reason,
            "user": e.user,
        }
        for e in events
    ]
    if ctx.json:
        ctx.emit_json(items)
    elif not items:
        ctx.say(f"No alias of {args.project} has been set yet.")
    else:
        for it in items:
            why = f"  ({it['reason']})" if it["reason"] else ""
            ctx.say(f"{it['at']}\t{it['alias']}\t{it['from'] or '-'} -> {it['to']}\tby {it['user']}{why}")
    return 0


def _verify(args, ctx) -> int:
    from sftgui.core.versions import verify

    report = verify(ctx.workspace())
    if ctx.json:
        ctx.emit_json(report)
    else:
        ctx.say(f"Checked {report['blobs_checked']} stored files.")
        for kind in ("missing", "corrupt"):
            for item in report[kind]:
                ctx.say(f"  {kind}: {item['blob'][:12]} used by {', '.join(item['used_by']) or 'nothing'}")
        for link in report.get("links", []):
            ctx.say(f"  link: blobs/{link} is a link sftgui did not make (it is never followed); remove it")
        if report["damaged_versions"]:
            ctx.say(f"  damaged versions: {', '.join(report['damaged_versions'])} (restore the workspace from a backup)")
        if report["orphans"]:
            ctx.say(f"  {report['orphans']} unused file(s), {_mib(report['orphan_bytes'])}: 'sftgui gc' removes them.")
        ctx.say("Everything is intact." if report["ok"] else "Problems found (see above).")
    return 0 if report["ok"] else 1


def _gc(args, ctx) -> int:
    from sftgui.core.versions import gc

    result = gc(ctx.workspace(), dry_run=args.dry_run)
    if ctx.json:
        ctx.emit_json(result)
        return 0
    verb = "Would remove" if args.dry_run else "Removed"
    ctx.say(f"{verb} {result['removed']} unused file(s), {_mib(result['bytes'])}.")
    if result["kept_recent"]:
        ctx.say(f"Kept {result['kept_recent']} unused file(s) written in the last 15 minutes (a save may be in progress).")
    return 0
