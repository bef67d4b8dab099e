"""Image training: sftgui's default (Quick) training against a plain Hugging Face Trainer script
with the same model, data, split and settings, in the same run.

    PYTHONPATH=. python -m benchmarks.image_training [--data shapes|digits] [--epochs N] [--repeat N]

Prints images/s of each (the Trainer's own train_samples_per_second) and their ratio, both test
accuracies, and sftgui's time to a first version (import + check + train + register, wall clock).
The model is the packaged EfficientNet-Lite0 with a frozen backbone and a new head (the Quick
preset). `shapes` is the shipped sample (240 drawn pictures); `digits` is scikit-learn's copy of
the UCI handwritten digits (1,797 labelled 8x8 scans, upscaled to 32x32 PNGs), the only public
labelled image set this machine has offline (it is not a photo set). The machine's CPU and its
bf16 capability are printed: speed figures hold for that machine only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
from pathlib import Path


def digits_folder(out: Path) -> Path:
    from PIL import Image
    from sklearn.datasets import load_digits

    d = load_digits()
    for i, (pixels, target) in enumerate(zip(d.images, d.target)):
        folder = out / str(target)
        folder.mkdir(parents=True, exist_ok=True)
        im = Image.fromarray((pixels * 255 / 16).astype("uint8")).resize((32, 32), Image.NEAREST)
        im.save(folder / f"{i:04d}.png")
    return out


def plain_trainer(files: dict, rows: dict, backbone: str, *, epochs: float, lr: float, batch: int, bf16: bool,
                  seed: int, out: str) -> dict:
    """A careful engineer's plain script: files from disk, the model's image processor on the fly,
    a frozen backbone and a new head, the Trainer with the same settings sftgui used."""
    import numpy as np
    from datasets import Dataset
    from PIL import Image, ImageOps
    from transformers import (AutoImageProcessor, AutoModelForImageClassification, Trainer, TrainingArguments,
                              default_data_collator)

    labels = sorted(set(rows["label"]))
    label2id = {lab: i for i, lab in enumerate(labels)}
    processor = AutoImageProcessor.from_pretrained(backbone)
    model = AutoModelForImageClassification.from_pretrained(
        backbone, num_labels=len(labels), id2label=dict(enumerate(labels)), label2id=label2id,
        ignore_mismatched_sizes=True)
    for name, p in model.named_parameters():
        p.requires_grad_(not name.startswith(model.base_model_prefix))

    def split(name):
        idx = [i for i, s in enumerate(rows["split"]) if s == name]
        ds = Dataset.from_dict({"path": [str(files[rows["image"][i]]) for i in idx],
                                "labels": [label2id[rows["label"][i]] for i in idx]})

        def transform(batch):
            pics = [ImageOps.exif_transpose(Image.open(p)).convert("RGB") for p in batch["path"]]
            return {"pixel_values": list(processor(images=pics, return_tensors="pt")["pixel_values"]),
                    "labels": batch["labels"]}

        ds.set_transform(transform)
        return ds

    args = TrainingArguments(output_dir=out, num_train_epochs=epochs, learning_rate=lr, per_device_train_batch_size=batch,
                             per_device_eval_batch_size=batch * 2, warmup_steps=0, weight_decay=0.0, bf16=bf16,
                             use_cpu=True, seed=seed, eval_strategy="epoch", save_strategy="no", logging_steps=50,
                             remove_unused_columns=False, report_to="none", disable_tqdm=True)
    trainer = Trainer(model=model, args=args, train_dataset=split("train"), eval_dataset=split("validation"),
                      data_collator=default_data_collator)
    t0 = time.perf_counter()
    result = trainer.train()
    wall = time.perf_counter() - t0
    pred = trainer.predict(split("test"))
    accuracy = float((np.asarray(pred.predictions).argmax(-1) == pred.label_ids).mean())
    return {"images_per_s": result.metrics["train_samples_per_second"], "train_wall_s": wall, "test_accuracy": accuracy}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", choices=("shapes", "digits"), default="shapes")
    ap.add_argument("--epochs", type=float, default=None, help="default: the Quick preset's")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--repeat", type=int, default=1,
                    help="alternate sftgui and the plain script this many times; the ratio is the median of the "
                         "pairs (a shared machine's load changes between runs)")
    args = ap.parse_args()

    from benchmarks.machine import describe
    from sftgui.config import TrainConfig
    from sftgui.core.data import quality
    from sftgui.core.data.importers import import_file
    from sftgui.core.data.snapshots import freeze_snapshot, load_snapshot_table
    from sftgui.core.projects import create_project
    from sftgui.core.training import engine
    from sftgui.resources import resource_path
    from sftgui.store.db import open_workspace

    machine = describe()
    print(json.dumps({"machine": machine}))
    with tempfile.TemporaryDirectory(prefix="sftgui-bench-img-") as tmp:
        tmp = Path(tmp)
        folder = resource_path("sample/shapes") if args.data == "shapes" else digits_folder(tmp / "digits")
        ws = open_workspace(tmp / "ws")
        t0 = time.perf_counter()
        project = create_project(ws, "bench", "image-classification")
        import_file(ws, project, folder)
        quality.check_draft(ws, project, check_length=False)
        snap = freeze_snapshot(ws, project)
        overrides = {"epochs": args.epochs} if args.epochs else {}
        config = TrainConfig.from_preset("quick", task="image-classification", project="bench", snapshot_id=snap.id,
                                         seed=args.seed, **overrides)
        rows = load_snapshot_table(ws, snap.id).to_pydict()
        files = {hashlib.sha256(p.read_bytes()).hexdigest(): p for p in folder.rglob("*") if p.is_file()}
        from sftgui.core.tasks import get_task

        pairs = []
        for i in range(max(1, args.repeat)):  # sftgui, plain, sftgui, plain...: both see the same load swings
            result = engine.run(config, ws=ws)
            if i == 0:
                first_version_s = time.perf_counter() - t0
            assert result.status == "completed", result.error
            m = result.version.metrics
            ours = {"images_per_s": m["training"]["train_samples_per_second"], "test_accuracy": m["accuracy"],
                    "precision": m["training"]["precision"]}
            backbone = str(get_task("image-classification").bundled_model(ws)[0])
            plain = plain_trainer(files, rows, backbone, epochs=config.epochs, lr=config.learning_rate,
                                  batch=config.batch_size, bf16=ours["precision"] == "bf16", seed=args.seed,
                                  out=str(tmp / f"plain{i}"))
            pairs.append({"sftgui": ours, "plain_trainer": plain,
                          "speed_ratio": ours["images_per_s"] / plain["images_per_s"]})
            print(json.dumps({"pair": i + 1, **pairs[-1]}))
        ws.close()
    import statistics

    ours, plain = pairs[0]["sftgui"], pairs[0]["plain_trainer"]
    ours["time_to_first_version_s"] = first_version_s
    ratios = [p["speed_ratio"] for p in pairs]
    out = {"data": args.data, "rows": snap.rows, "splits": snap.split_counts, "epochs": config.epochs,
           "sftgui": ours, "plain_trainer": plain, "speed_ratio": statistics.median(ratios), "pair_ratios": ratios}
    print(json.dumps(out, indent=2))
    print(f"images/s: sftgui {ours['images_per_s']:.1f}, plain Trainer {plain['images_per_s']:.1f} "
          f"(ratio {out['speed_ratio']:.2f}, median of {len(ratios)} alternating pair(s): "
          f"{', '.join(f'{r:.2f}' for r in ratios)}); test accuracy {ours['test_accuracy']:.1%} vs {plain['test_accuracy']:.1%}; "
          f"time to a first version {first_version_s:.0f} s on {machine['cpu']} ({machine['cores']} cores, "
          f"bf16 {'yes' if machine['bf16_cpu'] else 'no'})")


if __name__ == "__main__":
    main()
