"""Is it still good? Dated batches of newly labelled rows, each version's scores on them over
time, and plain warnings when a version does worse than on its own test data or when the new rows
look different from the training data.

A batch is a dataset snapshot of kind "monitor" (every row in its test split): it never reaches
training, sticky splits or the Data page's list unless the user adds its rows to the draft
(`adopt_batch`). Scores are the ordinary cached evaluations (`evaluation.evaluate_version` on the
batch's snapshot), so a version is scored on a batch once. Which metrics are charted and which
drift checks apply is the task's (`Task.monitor_metrics`, `Task.drift_checks`).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections import Counter
from pathlib import Path

from sftgui.errors import UserError

DEFAULT_DROP_POINTS = 5.0  # warn when a version scores this many percentage points below its test score


def _date(value: str | None) -> str:
    if value is None:
        return dt.datetime.now(dt.timezone.utc).date().isoformat()
    try:
        return dt.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise UserError(f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-11-30.") from None


def reference_version(ws, project):
    """The version the batch is compared with for drift: production, else the newest."""
    from sftgui.core import versions

    try:
        return versions.resolve_version(ws, "production", project)
    except UserError:
        listed = versions.list_versions(ws, project)
        if not listed:
            raise UserError(f"Project {project.name} has no version yet; train one before checking it on new data.") \
                from None
        return listed[-1]


def add_batch(ws, project, path, *, date: str | None = None, versions: tuple[str, ...] = (), text_col=None,
              label_col=None, sheet=None, encoding=None, delimiter=None, progress=None) -> dict:
    """Keep the labelled rows of `path` as a dated monitoring batch, check it for drift against the
    reference version's training rows, and score the production version and `versions` on it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from sftgui.core import versions as vs
    from sftgui.core.data.importers import read_rows
    from sftgui.core.data.snapshots import _schema, content_hash
    from sftgui.core.projects import get_project
    from sftgui.core.tasks import task_of
    from sftgui.store import audit_repo, snapshots_repo

    project = get_project(ws, project)
    task = task_of(project)
    date = _date(date)
    reference = reference_version(ws, project)
    chosen = _unique([reference] + [vs.resolve_version(ws, ref, project) for ref in versions])
    raw, info = read_rows(path, text_col=text_col, label_col=label_col, sheet=sheet, encoding=encoding,
                          delimiter=delimiter)
    kept, skipped = [], Counter()
    for text, label in raw:
        values, why = task.snapshot_row(text, label)
        if values is None:
            skipped[why] += 1
        else:
            kept.append((len(kept) + 1, *values, "test"))
    if not kept:
        raise UserError(f"{Path(path).name} has no labelled rows with text; a monitoring batch needs the right "
                        "answers to score the versions against.")
    if progress:
        progress(0.1, f"Checking {len(kept):,} rows for drift")
    names = ["row_id", *(name for name, _ in task.columns), "split"]
    batch_rows = [dict(zip(names, r)) for r in kept]
    checks = drift_report(ws, task, reference, batch_rows)
    schema = _schema(task)
    table = pa.Table.from_arrays([pa.array(col, type=f.type) for col, f in zip(zip(*kept), schema)], schema=schema)
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    blob = ws.blobs.put_bytes(buf.getvalue())  # the blob first, then the row that names it
    labels = Counter(r[task.label_column] for r in batch_rows) if task.labelled else Counter()
    meta = {"date": date, "source": info.get("file") or Path(path).name, "skipped_unlabelled": skipped["unlabelled"],
            "skipped_empty": skipped["empty"], "drift": checks, "reference_version": reference.ref,
            "reference_snapshot": reference.snapshot_id}
    snap = snapshots_repo.create(project.id, hash=content_hash(kept), blob=blob, rows=len(kept),
                                 label_counts=dict(sorted(labels.items())), split_counts={"test": len(kept)},
                                 meta=meta, kind="monitor")
    audit_repo.record("monitor.batch", project.name, batch=snap.id, date=date, rows=len(kept), source=meta["source"],
                      drifted=[c["check"] for c in checks if c["drifted"]])
    score_batch(ws, project, snap.id, [v.ref for v in chosen], progress=progress)
    return describe_batch(ws, project, snap.id)


def drift_report(ws, task, reference, batch_rows) -> list[dict]:
    """The task's drift checks of `batch_rows` against the reference version's training rows."""
    from sftgui.core.data.snapshots import load_snapshot_table
    from sftgui.core.evaluation import rows_of

    if reference.snapshot_id is None:
        return []
    table = load_snapshot_table(ws, reference.snapshot_id).to_pydict()
    return task.drift_checks(rows_of(task, table, "train"), batch_rows, baseline=rows_of(task, table, "validation"))


def score_batch(ws, project, batch_id: int, version_refs, *, progress=None) -> dict:
    """Score versions on a batch (each once: evaluations are cached). Returns {version: metrics}."""
    from sftgui.core import versions as vs
    from sftgui.core.evaluation import evaluate_version
    from sftgui.core.projects import get_project
    from sftgui.core.tasks import task_of
    from sftgui.store import audit_repo

    project = get_project(ws, project)
    batch = get_batch(ws, project, batch_id)
    task = task_of(project)
    out = {}
    chosen = _unique([vs.resolve_version(ws, ref, project) for ref in version_refs])
    for i, version in enumerate(chosen):
        if progress:
            progress(0.2 + 0.8 * i / max(1, len(chosen)), f"Scoring {version.ref} on the batch of {batch.meta['date']}")
        result = evaluate_version(ws, version, batch.id)
        out[version.ref] = {k: result["metrics"].get(k) for k in task.monitor_metrics()}
        audit_repo.record("monitor.score", version.ref, batch=batch.id, date=batch.meta["date"], **out[version.ref])
    return out


def get_batch(ws, project, batch_id):
    from sftgui.core.data.snapshots import get_snapshot

    snap = get_snapshot(ws, batch_id)
    if snap.kind != "monitor" or snap.project_id != project.id:
        raise UserError(f"Snapshot {snap.id} is not a monitoring batch of {project.name}; "
                        "`sftgui monitor show --project P` lists them.")
    return snap


def list_batches(ws, project) -> list:
    from sftgui.store import snapshots_repo

    return sorted(snapshots_repo.for_project(project.id, kind="monitor"), key=lambda s: (s.meta.get("date"), s.id))


def describe_batch(ws, project, batch_id: int) -> dict:
    from sftgui.core.tasks import task_of
    from sftgui.store import evaluations_repo, versions_repo

    batch = get_batch(ws, project, batch_id)
    task = task_of(project)
    scores = {}
    for vid in evaluations_repo.versions_scored_on(batch.id):
        version = versions_repo.get_version(vid)
        digest = evaluations_repo.get_evaluation_blob(vid, batch.id)
        metrics = json.loads(ws.blobs.get_bytes(digest))["metrics"]
        scores[version.ref] = {k: metrics.get(k) for k in task.monitor_metrics()}
    return {"id": batch.id, "date": batch.meta.get("date"), "rows": batch.rows, "source": batch.meta.get("source"),
            "labels": batch.label_counts, "drift": batch.meta.get("drift", []),
            "reference_version": batch.meta.get("reference_version"), "scores": scores}


def report(ws, project, *, drop_points: float = DEFAULT_DROP_POINTS) -> dict:
    """Every batch with its scores, each version's series per metric over the batches next to its
    own test score, and the warnings: `{metrics, batches, versions, warnings}`."""
    from sftgui.core import versions as vs
    from sftgui.core.projects import get_project
    from sftgui.core.tasks import task_of

    project = get_project(ws, project)
    task = task_of(project)
    if drop_points < 0:
        raise UserError("The drop that warns must be 0 points or more.")
    keys = list(task.monitor_metrics())
    titles = {m.key: m.title for m in task.metrics}
    batches = [describe_batch(ws, project, b.id) for b in list_batches(ws, project)]
    versions: dict[str, dict] = {}
    warnings = []
    for b in batches:
        for ref, scores in b["scores"].items():
            if ref not in versions:
                v = vs.resolve_version(ws, ref)
                versions[ref] = {"test": {k: v.metrics.get(k) for k in keys}, "aliases": list(v.aliases),
                                 "series": {k: [] for k in keys}}
            entry = versions[ref]
            for k in keys:
                entry["series"][k].append({"batch": b["id"], "date": b["date"], "value": scores.get(k)})
                test, now = entry["test"].get(k), scores.get(k)
                if test is not None and now is not None and (test - now) * 100 > drop_points:
                    warnings.append({"kind": "drop", "version": ref, "batch": b["id"], "date": b["date"], "metric": k,
                                     "test": test, "batch_value": now, "points": (test - now) * 100,
                                     "sentence": f"{ref} scores {(test - now) * 100:.0f} points lower on the batch of "
                                                 f"{b['date']} ({titles.get(k, k)} {now:.0%}) than on its own test "
                                                 f"data ({test:.0%})."})
        for c in b["drift"]:
            if c["drifted"]:
                warnings.append({"kind": "drift", "check": c["check"], "batch": b["id"], "date": b["date"],
                                 "p_value": c["p_value"], "test": c["test"],
                                 "sentence": f"The batch of {b['date']}: {c['sentence']} ({c['test']}, "
                                             f"p = {c['p_value']:.2g})."})
    return {"project": project.name, "metrics": keys, "titles": {k: titles.get(k, k) for k in keys},
            "drop_points": drop_points, "batches": batches, "versions": versions, "warnings": warnings}


def adopt_batch(ws, project, batch_id: int) -> int:
    """Add a batch's rows to the project's draft (so the next training may use them). Returns rows added."""
    from sftgui.core.data.importers import import_rows
    from sftgui.core.data.snapshots import load_snapshot_table
    from sftgui.core.projects import get_project
    from sftgui.core.tasks import task_of
    from sftgui.store import audit_repo

    project = get_project(ws, project)
    batch = get_batch(ws, project, batch_id)
    task = task_of(project)
    table = load_snapshot_table(ws, batch.id).to_pydict()
    rows = [{"text": t, "label": lab} for t, lab in zip(table[task.input_column], table[task.label_column])]
    result = import_rows(ws, project, rows, source=f"monitoring batch of {batch.meta.get('date')}")
    audit_repo.record("monitor.adopt", project.name, batch=batch.id, rows=result.rows)
    return result.rows


def _unique(versions) -> list:
    seen, out = set(), []
    for v in versions:
        if v.id not in seen:
            seen.add(v.id)
            out.append(v)
    return out
