"""The cached frozen part (training/feature_cache.py) on a tiny real BERT and real Trainer runs:
built once, reused, keyed by what it depends on, rebuilt when damaged; the version holds the full
model with the frozen tensors unchanged; stop/resume and the fallbacks still work."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from sftgui.core import events as ev
from sftgui.core.training import engine
from sftgui.core.training import feature_cache as fc
from sftgui.store import runs_repo

from .conftest import Recorder, at_step, make_project, tiny_config


def _feature_dirs(ws) -> set[str]:
    root = Path(ws.cache) / "features"
    return {p.name for p in root.iterdir()} if root.is_dir() else set()


def _frozen_line(rec) -> str:
    return next((s for s in rec.of(ev.Started)[0].fast_paths if s.startswith("frozen part")), "")


def _run(ws, project, snapshot, model_dir, **overrides):
    rec = Recorder()
    result = engine.run(tiny_config(project, snapshot, model_dir, seed=2, **overrides), rec)
    assert result.status == "completed", result.error
    return result, rec


@pytest.mark.parametrize("freeze", ["1", "all-but-head"])
def test_the_split_model_equals_the_full_model_in_eval_mode(tiny_model_dir, freeze):
    from sftgui.config import TrainConfig
    from sftgui.core.tasks import get_task
    from sftgui.core.training.adapt import apply_freeze

    task = get_task("text-classification")
    tok = task.load_processor(tiny_model_dir)
    model = task.load_model(tiny_model_dir, ["a", "b", "c"])
    apply_freeze(model, freeze)
    part = task.frozen_part(model, TrainConfig(freeze=freeze))
    enc = tok(["refund my card please", "login locked", "the app crash error on screen update"])
    rows = [{"input_ids": enc["input_ids"][i], "attention_mask": enc["attention_mask"][i],
             "token_type_ids": enc["token_type_ids"][i], "labels": 0, "row_id": i} for i in range(3)]

    class Rows(list):
        def __getitem__(self, i):
            return list.__getitem__(self, i)

    gap = fc.self_check(part, Rows(rows), task.collator(tok), rows=3)
    assert gap < 1e-3  # only the fp16 storage of the features differs
    assert (part.first_position_only, part.n) == ((True, 2) if freeze == "all-but-head" else (False, 1))
    # the self-check put the model back together: every original module in place
    assert type(model.base_model.embeddings).__name__ == "BertEmbeddings"
    assert all(type(layer).__name__ == "BertLayer" for layer in model.base_model.encoder.layer)


def test_cached_path_trains_and_the_version_holds_the_full_model(ws, tiny_project, tiny_model_dir):
    from safetensors.torch import load_file

    from sftgui.core.tasks import get_task
    from sftgui.core.versions import load_state_dict, load_version, read_predictions

    project, snapshot = tiny_project
    result, rec = _run(ws, project, snapshot, tiny_model_dir, freeze="1", learning_rate=5e-2, epochs=4)
    line = _frozen_line(rec)
    assert "computed once and cached" in line, rec.of(ev.Started)[0].fast_paths
    facts = result.version.metrics["training"]["fast_paths"]
    assert facts["feature_cache"] == "built" and facts["threads"]["threads"] >= 1

    # the frozen part (embeddings, layer 0) is stored unchanged; the upper layer and the head trained
    base = load_file(str(Path(tiny_model_dir) / "model.safetensors"))
    state = load_state_dict(ws, result.version)
    frozen = [k for k in state if ".embeddings." in k or ".layer.0." in k]
    trained = [k for k in state if ".layer.1." in k]
    assert frozen and trained
    assert all(torch.equal(state[k], base[k]) for k in frozen)
    assert any(not torch.equal(state[k], base[k]) for k in trained)

    # the version loaded fresh predicts what was stored at registering (the one prediction path)
    model, tok = load_version(ws, result.version)
    preds = read_predictions(ws, result.version)
    from sftgui.core.data.snapshots import load_snapshot_table

    table = load_snapshot_table(ws, snapshot.id).to_pydict()
    text_of = dict(zip(table["row_id"], table["text"]))
    rows = preds["rows"]
    probs = get_task("text-classification").predict(model, tok, [text_of[r["row_id"]] for r in rows], max_length=32)
    assert np.allclose(np.asarray(probs), np.asarray([r["probs"] for r in rows]), atol=1e-5)


def test_cached_path_trains_what_the_normal_path_trains_without_dropout(ws, tiny_project, tiny_model_dir):
    """With dropout 0 the frozen part computes the same in train and eval mode, so both paths see the
    same numbers (the cached ones stored in fp16), the same batches and the same initial head."""
    from sftgui.core.versions import load_state_dict

    project, snapshot = tiny_project
    cached, _ = _run(ws, project, snapshot, tiny_model_dir, freeze="1", dropout=0.0, epochs=1, learning_rate=1e-3)
    normal, _ = _run(ws, project, snapshot, tiny_model_dir, freeze="1", dropout=0.0, epochs=1, learning_rate=1e-3, feature_cache="off")
    a, b = load_state_dict(ws, cached.version), load_state_dict(ws, normal.version)
    assert a.keys() == b.keys()
    gap = max(float((a[k].float() - b[k].float()).abs().max()) for k in a)
    assert 0 < gap < 5e-3 or gap == 0
    assert abs(cached.version.metrics["validation"]["loss"] - normal.version.metrics["validation"]["loss"]) < 1e-2


def test_the_cache_is_reused_and_keyed_by_what_it_depends_on(ws, tiny_model_dir):
    project, snapshot = make_project(ws)
    _, rec = _run(ws, project, snapshot, tiny_model_dir, freeze="1", epochs=1)
    assert "computed once" in _frozen_line(rec) and len(_feature_dirs(ws)) == 1
    again, rec = _run(ws, project, snapshot, tiny_model_dir, freeze="1", epochs=1)
    assert "reused from the cache" in _frozen_line(rec) and len(_feature_dirs(ws)) == 1
    assert again.version.metrics["training"]["fast_paths"]["feature_cache"] == "reused"
    # another freeze point, another max length, other data: each computes its own
    _run(ws, project, snapshot, tiny_model_dir, freeze="all-but-head", epochs=1)
    assert len(_feature_dirs(ws)) == 2
    _run(ws, project, snapshot, tiny_model_dir, freeze="1", epochs=1, max_length=16)
    assert len(_feature_dirs(ws)) == 3
    from sftgui.core.data.importers import import_rows
    from sftgui.core.data.snapshots import freeze_snapshot

    from .conftest import keyword_rows

    import_rows(ws, project, keyword_rows(4, seed=9))
    _, rec = _run(ws, project, freeze_snapshot(ws, project), tiny_model_dir, freeze="1", epochs=1)
    assert "computed once" in _frozen_line(rec) and len(_feature_dirs(ws)) == 4


def test_a_damaged_cache_file_is_rebuilt_not_trusted(ws, tiny_project, tiny_model_dir):
    project, snapshot = tiny_project
    _run(ws, project, snapshot, tiny_model_dir, freeze="1", epochs=1)
    (folder,) = (Path(ws.cache) / "features").iterdir()
    (folder / "train.safetensors").write_bytes(b"not a safetensors file")
    result, rec = _run(ws, project, snapshot, tiny_model_dir, freeze="1", epochs=1)
    assert result.version.metrics["training"]["fast_paths"]["feature_cache"] == "built"
    assert fc.load_split(folder / "train.safetensors", [0]) is None  # wrong rows: refused
    assert (folder / "train.safetensors").stat().st_size > 100


def test_off_lora_and_nothing_frozen_train_the_normal_way(ws, tiny_project, tiny_model_dir):
    project, snapshot = tiny_project
    for overrides in (dict(freeze="1", feature_cache="off"), dict(lora=True, freeze="1"), dict(freeze="none")):
        result, rec = _run(ws, project, snapshot, tiny_model_dir, epochs=1, **overrides)
        assert _frozen_line(rec) == "", overrides
        assert result.version.metrics["training"]["fast_paths"]["feature_cache"] == "off"
    assert _feature_dirs(ws) == set()


def test_stop_and_resume_on_the_cached_path(ws, tiny_project, tiny_model_dir):
    project, snapshot = tiny_project
    stop = {}

    def request_stop():
        engine.cancel_file(ws, stop["run"]).write_text("stop")

    rec = Recorder()
    sink = lambda e: (stop.setdefault("run", e.run_id), rec(e))  # noqa: E731
    config = tiny_config(project, snapshot, tiny_model_dir, freeze="1", log_steps=1, seed=2)
    result = engine.run(config, sink, callbacks=[at_step(5, request_stop)])
    assert result.status == "cancelled"
    step = rec.of(ev.Cancelled)[0].step
    again = Recorder()
    resumed = engine.resume(result.run_id, again)
    assert resumed.status == "completed", resumed.error
    assert again.of(ev.Started)[0].resumed_from_step == step
    assert "reused from the cache" in _frozen_line(again)
    loss_steps = [p.step for p in runs_repo.metric_points(result.run_id, "loss")]
    assert loss_steps == list(range(1, again.of(ev.Started)[0].total_steps + 1))


def test_capability_honours_the_environment_limits():
    from sftgui.core.training.hardware import cpu_capability

    flags = "flags : fpu sse2 avx2 avx512f avx512_bf16 amx_tile amx_bf16"
    full = cpu_capability(flags, env={})
    assert (full.avx2, full.avx512, full.bf16, full.amx, full.isa) == (True, True, True, True, "AMX")
    aten = cpu_capability(flags, env={"ATEN_CPU_CAPABILITY": "avx2"})
    assert (aten.avx2, aten.avx512, aten.bf16, aten.isa) == (True, False, False, "AVX2") and "ATEN" in aten.limit
    onednn = cpu_capability(flags, env={"ONEDNN_MAX_CPU_ISA": "AVX512_CORE"})
    assert (onednn.avx512, onednn.bf16, onednn.amx) == (True, False, False)
    assert cpu_capability("flags : sse2 avx2", env={}).sentence() == "AVX2 without native bf16"


def test_the_time_left_never_climbs():
    from sftgui.core.training.callbacks import BridgeCallback

    bridge = BridgeCallback(1, lambda e: None, None, cancel_file=Path("/nonexistent"), effective_batch=8,
                            eval_details={}, started={}, metric_keys=())
    shown = [bridge.steady_eta(raw, now) for raw, now in [(100, 1), (90, 2), (140, 3), (120, 10), (40, 11), (0, 12)]]
    assert shown[:2] == [100, 90] and shown[2] == 89 and shown[3] == 82  # a slow stretch: it waits, not climbs
    assert shown[4] == 40 and shown[5] == 0
    assert all(b <= a for a, b in zip(shown, shown[1:]))


def test_image_quick_caches_the_backbone_features_and_keeps_it_unchanged(ws, tmp_path):
    from safetensors.torch import load_file

    from sftgui.config import TrainConfig
    from sftgui.core.data.importers import import_file
    from sftgui.core.projects import create_project
    from sftgui.core.versions import load_state_dict
    from tests.tiny_image import make_shapes_folder, make_tiny_image_model_dir

    model_dir = make_tiny_image_model_dir(tmp_path / "resnet", num_labels=4)
    pics = create_project(ws, "pics", "image-classification")
    import_file(ws, pics, make_shapes_folder(tmp_path / "shapes", per_class=8))
    rec = Recorder()
    config = TrainConfig.from_preset("quick", task="image-classification", project="pics", model=str(model_dir),
                                     epochs=2, batch_size=8, seed=3)
    result = engine.run(config, rec, ws=ws)
    assert result.status == "completed", result.error
    assert "computed once and cached" in _frozen_line(rec)
    base, state = load_file(str(model_dir / "model.safetensors")), load_state_dict(ws, result.version)
    backbone = [k for k in state if not k.startswith("classifier.") and k in base]
    assert backbone and all(torch.equal(state[k], base[k]) for k in backbone)
    assert any(not torch.equal(state[k], base.get(k, state[k] * 0)) for k in state if k.startswith("classifier."))


def test_all_but_top_k_freezes_all_layers_but_the_top_ones(tiny_model_dir):
    from sftgui.config import TrainConfig
    from sftgui.core.tasks import get_task
    from sftgui.core.training.adapt import apply_freeze
    from sftgui.errors import UserError

    task = get_task("text-classification")
    model = task.load_model(tiny_model_dir, ["a", "b"])
    frozen = apply_freeze(model, "all-but-top-1")
    assert any(".layer.0." in n for n in frozen) and not any(".layer.1." in n for n in frozen)
    part = task.frozen_part(model, TrainConfig(freeze="all-but-top-1"))
    assert part.n == 1 and not part.first_position_only
    assert apply_freeze(task.load_model(tiny_model_dir, ["a", "b"]), "all-but-top-5") == [
        n for n, _ in task.load_model(tiny_model_dir, ["a", "b"]).named_parameters() if ".embeddings." in n]
    with pytest.raises(UserError, match="all-but-top-K"):
        TrainConfig(freeze="all-but-top-x").validate()
