"""`sftgui data ...`: import, check, fix, label, undo/redo, labels, rows, snapshot, diff, export."""

from __future__ import annotations

import sys

from sftgui.commands import validate


def register(sub) -> None:
    p = sub.add_parser("data", help="import, check, label and freeze a project's data")
    d = p.add_subparsers(dest="data_command", metavar="ACTION")

    def cmd(name, func, help, project=True, json=False):
        c = d.add_parser(name, help=help, description=help)
        if project:
            c.add_argument("--project", required=True, metavar="P", help="project name or id")
        if json:
            c.add_argument("--json", action="store_true", help="print one JSON document")
        c.set_defaults(func=func)
        return c

    c = cmd("import", _import, "add the rows of a file or folder to the project's draft", json=True)
    c.add_argument("file", metavar="FILE", help="CSV, TSV, .xlsx, JSON, JSONL, Parquet, a folder of .txt "
                   "files per label, or a saved `datasets` folder")
    _mapping_args(c)

    c = cmd("preview", _preview, "show how a file would be read (nothing is imported)", project=False, json=True)
    c.add_argument("file", metavar="FILE")
    c.add_argument("--rows", type=validate.count, default=5)
    _mapping_args(c)

    c = cmd("check", _check, "quality report of the draft", json=True)
    c.add_argument("--max-length", type=validate.tokens, help="tokens the model reads (default: the model's maximum)")
    c.add_argument("--no-length", action="store_true", help="skip the check of over-long texts (no tokenizer)")

    c = cmd("fix", _fix, "repair what the quality report found (each fix can be undone)")
    c.add_argument("--drop-duplicates", action="store_true", help="remove repeated texts, keeping the first")
    c.add_argument("--exact", action="store_true", help="with --drop-duplicates: only exact repeats")
    c.add_argument("--drop-empty", action="store_true", help="remove rows without text")
    c.add_argument("--resolve-conflicts", choices=("majority", "flag"),
                   help="same text, different labels: use the most common label, or flag them for review")
    c.add_argument("--merge-label", metavar="A", help="relabel the rows of label A ...")
    c.add_argument("--into", metavar="B", help="... as label B")

    c = cmd("label", _label, "set or clear the label of rows")
    c.add_argument("--row", type=validate.identifier, action="append", required=True, metavar="ID", help="row id (repeatable)")
    g = c.add_mutually_exclusive_group(required=True)
    g.add_argument("--label", metavar="L")
    g.add_argument("--clear", action="store_true", help="remove the label")
    c.add_argument("--new", action="store_true", help="add the label to the label set if it is new")

    c = cmd("flag", _flag, "flag rows for review (or --clear the flag)")
    c.add_argument("--row", type=validate.identifier, action="append", required=True, metavar="ID")
    c.add_argument("--clear", action="store_true")

    cmd("undo", _undo, "undo the last edit of the draft")
    cmd("redo", _redo, "redo the edit undone last")

    c = cmd("labels", _labels, "list, add, rename, merge, delete or restyle labels", json=True)
    c.add_argument("action", nargs="?", default="list", choices=("list", "add", "rename", "merge", "delete", "style"))
    c.add_argument("names", nargs="*", metavar="NAME",
                   help="add NAME | rename OLD NEW | merge A B (A into B) | delete NAME | style NAME")
    c.add_argument("--colour", help="with add/style: #rrggbb")
    c.add_argument("--key", type=validate.shortcut_key, help="with add/style: shortcut key 1-9 (0 clears)")
    c.add_argument("--yes", action="store_true", help="confirm delete (its rows become unlabelled)")

    c = cmd("rows", _rows, "list the draft's rows", json=True)
    c.add_argument("--filter", default="all", help="all, labelled, unlabelled, flagged, label:NAME or search:WORDS")
    c.add_argument("--offset", type=validate.offset, default=0)
    c.add_argument("--limit", type=validate.count, default=50)

    c = cmd("snapshot", _snapshot, "freeze the draft into an immutable snapshot", json=True)
    c.add_argument("--seed", type=validate.seed, default=0, help="seed of the stratified split (default 0)")
    c.add_argument("--fractions", default="0.8,0.1,0.1", help="train,validation,test (default 0.8,0.1,0.1)")

    cmd("snapshots", _snapshots, "list the project's snapshots", json=True)

    c = cmd("purge", _purge, "delete a snapshot for good (refused while a version trained on it is kept); "
            "'sftgui gc' then frees its bytes", project=False, json=True)
    c.add_argument("snapshot", metavar="SNAP")
    c.add_argument("--reason", required=True, help="why (kept with a tombstone in the audit log)")

    c = cmd("diff", _diff, "rows added, removed and relabelled between two snapshots", project=False, json=True)
    c.add_argument("a", metavar="SNAP_A", type=validate.snapshot_ref)
    c.add_argument("b", metavar="SNAP_B", type=validate.snapshot_ref)

    c = cmd("export", _export, "write a snapshot to a CSV file", project=False)
    c.add_argument("snapshot", metavar="SNAP", type=validate.snapshot_ref)
    c.add_argument("--out", required=True, metavar="FILE.csv")
    c.add_argument("--force", action="store_true", help="replace the file if it exists")


def _mapping_args(c) -> None:
    c.add_argument("--text-col", "--image-col", metavar="C", dest="text_col",
                   help="column with the text, or with the image file paths of an image project (default: detected)")
    c.add_argument("--label-col", metavar="C", help="column with the label (default: detected)")
    c.add_argument("--split-col", metavar="C", help="column with train/validation/test (optional)")
    c.add_argument("--sheet", metavar="S", help="Excel sheet to read")
    c.add_argument("--encoding", metavar="E", help="text encoding (default: detected)")
    c.add_argument("--delimiter", metavar="D", help="CSV delimiter, e.g. ';' or tab (default: detected)")
    c.add_argument("--skip-bad", action="store_true",
                   help="image projects: skip unreadable files (listed and counted) instead of refusing the import")


def _mapping(args) -> dict:
    return dict(text_col=args.text_col, label_col=args.label_col, split_col=args.split_col, sheet=args.sheet,
                encoding=args.encoding, delimiter=args.delimiter, **({"skip_bad": True} if getattr(args, "skip_bad", False) else {}))


def _reader(ctx):
    """Readers skip the writer lock, so listing works while the GUI has the workspace open."""
    return ctx.workspace(readonly=(ctx.workspace_path / "sftgui.db").exists())


def _progress_line():
    if not sys.stderr.isatty():
        return None

    def show(fraction, message):
        sys.stderr.write(f"\r{message} ({fraction:.0%})   ")
        sys.stderr.flush()

    return show


# -- handlers ---------------------------------------------------------------------------------------
def _import(args, ctx) -> int:
    from sftgui.core.data.importers import import_file

    r = import_file(ctx.workspace(), args.project, args.file, progress=_progress_line(), **_mapping(args))
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    if ctx.json:
        ctx.emit_json({"rows": r.rows, "labelled": r.labelled, "unlabelled": r.unlabelled, "labels": r.labels,
                       "mapping": r.mapping, "info": r.info})
        return 0
    how = ", ".join(f"{k} {v!r}" for k, v in r.info.items() if k != "sheets")
    ctx.say(f"Imported {r.rows:,} rows from {r.source} ({how}): {r.labelled:,} labelled, {r.unlabelled:,} without a label.")
    if r.info.get("skipped"):
        ctx.say(f"Skipped {r.info['skipped']} bad file(s):" + "".join(f"\n  {x}" for x in r.info["skipped_files"]))
    ctx.say(f"Columns: text {r.mapping['text_col']!r}, label {r.mapping['label_col']!r}"
            + (f", split {r.mapping['split_col']!r}" if r.mapping["split_col"] else "") + ".")
    ctx.say("Next: 'sftgui data check --project " + args.project + "'.")
    return 0


def _preview(args, ctx) -> int:
    from sftgui.core.data.importers import preview_file

    p = preview_file(args.file, rows=args.rows, **_mapping(args))
    if ctx.json:
        ctx.emit_json({"columns": p.columns, "rows": p.rows, "mapping": p.mapping, "info": p.info})
        return 0
    ctx.say(f"Columns: {', '.join(p.columns)}; detected {p.mapping}; {p.info}")
    for row in p.rows:
        ctx.say("  " + " | ".join(str(row.get(c))[:60] for c in p.columns))
    return 0


def _check(args, ctx) -> int:
    from sftgui.core.data.quality import check_draft

    report = check_draft(_reader(ctx), args.project, max_length=args.max_length, check_length=not args.no_length)
    if ctx.json:
        ctx.emit_json(report.to_json())
        return 0
    ctx.say(f"{report.rows:,} rows, {report.labelled:,} labelled; labels: "
            + (", ".join(f"{k} {v}" for k, v in report.labels.items()) or "none"))
    if not report.findings:
        ctx.say("No problems found.")
    for f in report.findings:
        fix = f" Fix: sftgui data fix --project {args.project} --{f.fix}" if f.fix else ""
        ctx.say(f"- {f.message}{fix}")
    return 0


def _fix(args, ctx) -> int:
    from sftgui.core.data import labels, quality
    from sftgui.errors import UserError

    if bool(args.merge_label) != bool(args.into):
        raise UserError("--merge-label A needs --into B (and the other way round).")
    if not (args.drop_duplicates or args.drop_empty or args.resolve_conflicts or args.merge_label):
        raise UserError("Choose a fix: --drop-duplicates, --drop-empty, --resolve-conflicts or --merge-label A --into B.")
    ws = ctx.workspace()
    if args.drop_duplicates:
        ctx.say(f"Dropped {quality.drop_duplicates(ws, args.project, near=not args.exact)} duplicate row(s).")
    if args.drop_empty:
        ctx.say(f"Dropped {quality.drop_empty(ws, args.project)} empty row(s).")
    if args.resolve_conflicts:
        n = quality.resolve_conflicts(ws, args.project, args.resolve_conflicts)
        ctx.say(f"Changed {n} row(s) with conflicting labels ({args.resolve_conflicts}).")
    if args.merge_label:
        n = labels.merge_label(ws, args.project, args.merge_label, args.into)
        ctx.say(f"Merged {args.merge_label!r} into {args.into!r} ({n} row(s)).")
    ctx.say("Undo with 'sftgui data undo --project " + args.project + "'.")
    return 0


def _label(args, ctx) -> int:
    from sftgui.core.data.labelling import set_label

    n = set_label(ctx.workspace(), args.project, args.row, None if args.clear else args.label, create=args.new)
    ctx.say(f"{'Cleared' if args.clear else 'Labelled'} {n} row(s).")
    return 0


def _flag(args, ctx) -> int:
    from sftgui.core.data.labelling import set_flag

    n = set_flag(ctx.workspace(), args.project, args.row, not args.clear)
    ctx.say(f"{'Unflagged' if args.clear else 'Flagged'} {n} row(s).")
    return 0


def _undo(args, ctx) -> int:
    from sftgui.core.data.labelling import undo

    what = undo(ctx.workspace(), args.project)
    ctx.say(f"Undid: {what}." if what else "Nothing to undo.")
    return 0


def _redo(args, ctx) -> int:
    from sftgui.core.data.labelling import redo

    what = redo(ctx.workspace(), args.project)
    ctx.say(f"Redid: {what}." if what else "Nothing to redo.")
    return 0


_ARITY = {"list": 0, "add": 1, "rename": 2, "merge": 2, "delete": 1, "style": 1}


def _labels(args, ctx) -> int:
    from sftgui.core.data import labels
    from sftgui.errors import UserError

    if len(args.names) != _ARITY[args.action]:
        usage = {"add": "add NAME", "rename": "rename OLD NEW", "merge": "merge A B", "delete": "delete NAME",
                 "style": "style NAME --colour #rrggbb --key N", "list": "list"}[args.action]
        raise UserError(f"Write it as 'sftgui data labels --project P {usage}'.")
    if args.action == "list":
        ws = _reader(ctx)
        from sftgui.core.data.labelling import count_rows, RowFilter

        items = [{"name": lab.name, "colour": lab.colour, "key": lab.shortcut,
                  "rows": count_rows(ws, args.project, RowFilter(label=lab.name))}
                 for lab in labels.list_labels(ws, args.project)]
        if ctx.json:
            ctx.emit_json(items)
        else:
            for it in items:
                ctx.say(f"{it['key'] or '-'}  {it['name']}\t{it['colour']}\t{it['rows']} row(s)")
            if not items:
                ctx.say("No labels yet; add one with 'sftgui data labels --project P add NAME'.")
        return 0
    ws = ctx.workspace()
    if args.action == "add":
        lab = labels.add_label(ws, args.project, args.names[0], colour=args.colour, shortcut=args.key)
        ctx.say(f"Added label {lab.name!r} (key {lab.shortcut or '-'}, {lab.colour}).")
    elif args.action == "style":
        lab = labels.set_label_style(ws, args.project, args.names[0], colour=args.colour, shortcut=args.key)
        ctx.say(f"Label {lab.name!r}: key {lab.shortcut or '-'}, {lab.colour}.")
    elif args.action == "rename":
        labels.rename_label(ws, args.project, *args.names)
        ctx.say(f"Renamed {args.names[0]!r} to {args.names[1]!r}.")
    elif args.action == "merge":
        n = labels.merge_label(ws, args.project, *args.names)
        ctx.say(f"Merged {args.names[0]!r} into {args.names[1]!r} ({n} row(s)).")
    elif args.action == "delete":
        if not args.yes:
            raise UserError(f"Deleting {args.names[0]!r} leaves its rows without a label; add --yes to confirm.")
        n = labels.delete_label(ws, args.project, args.names[0])
        ctx.say(f"Deleted label {args.names[0]!r}; {n} row(s) are now unlabelled (undo with 'sftgui data undo').")
    return 0


def _rows(args, ctx) -> int:
    from sftgui.core.data.labelling import count_rows, fetch_rows, parse_filter

    ws = _reader(ctx)
    flt = parse_filter(args.filter)
    total = count_rows(ws, args.project, flt)
    rows = fetch_rows(ws, args.project, flt, args.offset, args.limit)
    if ctx.json:
        ctx.emit_json({"total": total, "offset": args.offset, "rows": [
            {"id": r.id, "text": r.text, "label": r.label, "split": r.split, "flagged": r.flagged} for r in rows]})
        return 0
    for r in rows:
        text = (r.text or "").replace("\n", " ")
        ctx.say(f"{r.id}\t{r.label or '-'}\t{'!' if r.flagged else ''}{text[:80]}")
    ctx.say(f"({len(rows)} of {total:,} rows shown)")
    return 0


def _snapshot(args, ctx) -> int:
    from sftgui.core.data.snapshots import freeze_snapshot
    from sftgui.errors import UserError

    try:
        fractions = tuple(float(x) for x in args.fractions.split(","))
    except ValueError:
        raise UserError(f"--fractions takes three numbers like 0.8,0.1,0.1, not {args.fractions!r}.") from None
    snap = freeze_snapshot(ctx.workspace(), args.project, seed=args.seed, fractions=fractions)
    if ctx.json:
        ctx.emit_json({"id": snap.id, "rows": snap.rows, "hash": snap.hash, "labels": snap.label_counts,
                       "splits": snap.split_counts})
    else:
        from sftgui.core.data.snapshots import left_out_sentence

        ctx.say(f"Snapshot {snap.id}: {snap.rows:,} rows, splits {snap.split_counts}, hash {snap.hash[:12]}.")
        ctx.say(left_out_sentence({**snap.meta, "rows": snap.rows}))
    return 0


def _snapshots(args, ctx) -> int:
    from sftgui.core.data.snapshots import list_snapshots

    snaps = list_snapshots(_reader(ctx), args.project)
    items = [{"id": s.id, "rows": s.rows, "hash": s.hash, "labels": s.label_counts, "splits": s.split_counts,
              "created_at": s.created_at} for s in snaps]
    if ctx.json:
        ctx.emit_json(items)
    for it in items if not ctx.json else ():
        ctx.say(f"{it['id']}\t{it['created_at']}\t{it['rows']:,} rows\t{it['hash'][:12]}")
    return 0


def _diff(args, ctx) -> int:
    from sftgui.core.data.snapshots import diff_snapshots

    d = diff_snapshots(_reader(ctx), args.a, args.b)
    if ctx.json:
        ctx.emit_json(d)
        return 0
    ctx.say(f"Snapshot {d['from']} -> {d['to']}: {d['added']} added, {d['removed']} removed, "
            f"{d['relabelled']} relabelled, {d['unchanged']} unchanged, {d['moved']} moved to another split.")
    for move, n in d["moves"].items():
        ctx.say(f"  {n} row(s) moved {move}")
    for e in d["examples"]["moved"]:
        ctx.say(f"  moved {e['from']} -> {e['to']}: {e['text'][:70]}")
    for e in d["examples"]["relabelled"]:
        ctx.say(f"  relabelled {e['from']} -> {e['to']}: {e['text'][:70]}")
    for kind in ("added", "removed"):
        for e in d["examples"][kind]:
            ctx.say(f"  {kind} ({e['label']}): {e['text'][:70]}")
    return 0


def _purge(args, ctx) -> int:
    from sftgui.core.purge import purge_snapshot

    done = purge_snapshot(ctx.workspace(), args.snapshot, reason=args.reason)
    if ctx.json:
        ctx.emit_json(done)
    else:
        ctx.say(f"Snapshot {done['snapshot_id']} is removed for good; the audit log keeps what it was and why. "
                "Its rows are still in the draft (remove them there too if they must go); "
                "'sftgui gc' frees its stored files.")
    return 0


def _export(args, ctx) -> int:
    from sftgui.core.data.snapshots import export_snapshot_csv

    out = export_snapshot_csv(_reader(ctx), args.snapshot, args.out, force=args.force)
    ctx.say(f"Wrote {out}.")
    return 0
