"""A project whose data grew twice (import, train v1, add rows, train v2, add rows, train v3):
every comparison and forgetting check uses every test row, because no split was redrawn."""

from __future__ import annotations

from sftgui.core.training import engine
from tests.core.training.conftest import Recorder, keyword_rows, tiny_config


def _unique(rows, seen):
    out = []
    for r in rows:
        if r["text"] not in seen:
            seen.add(r["text"])
            out.append(r)
    return out


def test_a_project_whose_data_grew_twice(ws, tiny_model_dir, capsys):
    from sftgui.core.compare import compare_versions
    from sftgui.core.data import splits
    from sftgui.core.data.importers import import_rows
    from sftgui.core.data.snapshots import freeze_snapshot, load_snapshot_table
    from sftgui.core.projects import create_project

    project, seen, versions, snaps = create_project(ws, "tickets"), set(), [], []
    for step, seed in enumerate((0, 1, 2)):
        import_rows(ws, project, _unique(keyword_rows(20, seed=seed), seen))
        snaps.append(freeze_snapshot(ws, project))
        model = str(tiny_model_dir) if step == 0 else f"v{step}"  # each version continues from the last
        result = engine.run(tiny_config(project, snaps[-1], tiny_model_dir, model=model, epochs=1), Recorder())
        assert result.status == "completed", result.error
        versions.append(result.version)
    v1, v2, v3 = versions
    tables = [load_snapshot_table(ws, s.id).to_pydict() for s in snaps]
    tests = [{r for r, s in zip(t["row_id"], t["split"]) if s == "test"} for t in tables]
    assert tests[0] <= tests[1] <= tests[2]  # v1's test rows are still test rows for v2 and v3

    lines = []
    for chosen in ([v1, v2, v3], [v2, v3], [v3, v1]):
        t = compare_versions(ws, chosen)["test_set"]
        of = next(v for v in versions if v.ref == t["of"])
        assert t["total"] == len(tests[versions.index(of)]) and t["left_out"] == 0 and t["examples"] == t["total"]
        lines.append(f"compare {' '.join(v.ref for v in chosen)}: {t['examples']} of {t['total']} test rows used")
    for v in (v2, v3):
        f = v.metrics["forgetting"]
        assert f["left_out"] == 0 and f["rows"] == f["test_rows"]
        lines.append(f"forgetting check of {v.ref}: {f['rows']} of {f['test_rows']} test rows of its parent used")
    # What redrawing the split at every snapshot (the behaviour before) would have done to v1's test rows
    last = tables[2]
    redrawn = dict(zip(last["row_id"], splits.stratified(last["label"], seed=0)))
    leaked = sum(1 for r in tests[0] if redrawn[r] != "test")
    lines.append(f"redrawn splits would have put {leaked} of v1's {len(tests[0])} test rows into v3's training data")
    with capsys.disabled():
        print("\n" + "\n".join(lines))
