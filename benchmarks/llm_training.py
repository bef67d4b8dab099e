"""Training speed of sftgui's default instruction tuning (LoRA, Quick preset) against a plain
Hugging Face Trainer script with the same model, data and LoRA settings, in the same run.

Each side runs in its own process (so peak memory is its own): tokens/s is answer+prompt tokens
trained per second of the Trainer's train loop (train_samples_per_second x mean tokens per
example), memory the process's peak resident set. Printed as a ratio against the plain script.
Run: nice python benchmarks/llm_training.py [--model tiny|bundled|FOLDER] [--examples 96]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
R, ALPHA, DROPOUT, LR, BATCH = 8, 16, 0.05, 2e-4, 8  # the Quick preset's LoRA settings


def rows(n: int) -> list[dict]:
    import json as _json

    lines = (ROOT / "resources" / "sample" / "support_replies.jsonl").read_text(encoding="utf-8").splitlines()
    return [_json.loads(x) for x in lines[:n]]


def model_folder(spec: str, work: Path) -> Path:
    if spec == "tiny":
        from tests.tiny_lm import make_tiny_lm_dir

        return make_tiny_lm_dir(work / "tiny-lm", hidden=64)
    if spec == "bundled":
        from sftgui.core.tasks.instruction_sft.model import bundled_model
        from sftgui.store.db import open_workspace

        return bundled_model(open_workspace(work / "ws-model"))
    return Path(spec)


def run_sftgui(folder: Path, examples: int, epochs: float, work: Path) -> dict:
    from sftgui.config import TrainConfig
    from sftgui.core.data.importers import import_file
    from sftgui.core.projects import create_project
    from sftgui.core.training import engine
    from sftgui.store.db import open_workspace

    ws = open_workspace(work / "ws")
    data = work / "data.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows(examples)), encoding="utf-8")
    project = create_project(ws, "bench", "instruction-sft")
    import_file(ws, project, data)
    config = TrainConfig.from_preset("quick", project="bench", task="instruction-sft", model=str(folder),
                                     epochs=epochs, max_length=256, extra={"max_new_tokens": 8})
    result = engine.run(config, ws=ws)
    assert result.status == "completed", result.error
    from sftgui.core.data.snapshots import load_snapshot_table
    from sftgui.core.tasks.instruction_sft import data as sft_data
    from sftgui.core.tasks.instruction_sft.model import load_tokenizer

    table = load_snapshot_table(ws, result.version.snapshot_id).to_pydict()
    tok = load_tokenizer(folder)
    train = [t for t, s in zip(table["messages"], table["split"]) if s == "train"]
    tokens = sum(sft_data.token_lengths(tok, train)) / len(train)
    t = result.version.metrics["training"]
    return {"samples_per_second": t["train_samples_per_second"], "tokens_per_example": tokens,
            "train_rows": len(train), "precision": t["precision"]}


def run_plain(folder: Path, examples: int, epochs: float, work: Path) -> dict:
    """What a person would write with transformers + peft alone (the usual recipe)."""
    import random

    import torch
    from datasets import Dataset
    from peft import LoraConfig, TaskType, get_peft_model
    from transformers import (AutoModelForCausalLM, AutoTokenizer, DataCollatorForSeq2Seq, Trainer,
                              TrainingArguments)

    tok = AutoTokenizer.from_pretrained(folder)
    if tok.pad_token_id is None or tok.pad_token_id == tok.eos_token_id:
        tok.pad_token = "<|endoftext|>"
    data = rows(examples)
    random.Random(0).shuffle(data)
    n_train = int(len(data) * 0.8)  # sftgui's default split: 80% train

    def encode(r):
        prompt = tok.apply_chat_template([{"role": "user", "content": r["prompt"]}], add_generation_prompt=True,
                                         tokenize=False)
        full = tok.apply_chat_template([{"role": "user", "content": r["prompt"]},
                                        {"role": "assistant", "content": r["response"]}], tokenize=False)
        p = tok(prompt, add_special_tokens=False)["input_ids"]
        ids = tok(full, add_special_tokens=False)["input_ids"][:256]
        return {"input_ids": ids, "attention_mask": [1] * len(ids), "labels": ([-100] * len(p) + ids[len(p):])[:256]}

    train = Dataset.from_list([encode(r) for r in data[:n_train]])
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    model = get_peft_model(model, LoraConfig(task_type=TaskType.CAUSAL_LM, r=R, lora_alpha=ALPHA, lora_dropout=DROPOUT))
    from sftgui.core.training.hardware import pick_hardware

    hw = pick_hardware()
    args = TrainingArguments(output_dir=str(work / "plain"), num_train_epochs=epochs, learning_rate=LR,
                             per_device_train_batch_size=BATCH, warmup_steps=0.05, bf16=hw.precision == "bf16",
                             fp16=hw.precision == "fp16", use_cpu=hw.device == "cpu", save_strategy="no",
                             eval_strategy="no", report_to="none", disable_tqdm=True, logging_steps=50, seed=0)
    trainer = Trainer(model=model, args=args, train_dataset=train,
                      data_collator=DataCollatorForSeq2Seq(tok, padding=True, label_pad_token_id=-100))
    out = trainer.train()
    tokens = sum(len(x) for x in train["input_ids"]) / len(train)
    return {"samples_per_second": out.metrics["train_samples_per_second"], "tokens_per_example": tokens,
            "train_rows": len(train), "precision": hw.precision}


def child(which: str, spec: str, examples: int, epochs: float) -> None:
    work = Path(tempfile.mkdtemp(prefix=f"sftgui-llm-{which}-"))
    folder = model_folder(spec, Path(os.environ.get("SFTGUI_BENCH_MODELS", work)))
    out = (run_sftgui if which == "sftgui" else run_plain)(folder, examples, epochs, work)
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["tokens_per_second"] = out["samples_per_second"] * out["tokens_per_example"]
    print("RESULT " + json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="tiny", help="tiny (built from a config), bundled (SmolLM2-135M) or a folder")
    ap.add_argument("--examples", type=int, default=96)
    ap.add_argument("--epochs", type=float, default=1)
    ap.add_argument("--child", choices=("sftgui", "plain"))
    args = ap.parse_args()
    if args.child:
        return child(args.child, args.model, args.examples, args.epochs)
    from benchmarks.machine import describe

    print(f"machine: {describe()}")
    models = Path(tempfile.mkdtemp(prefix="sftgui-llm-models-"))  # one model folder for both sides
    results = {}
    for which in ("plain", "sftgui"):
        proc = subprocess.run([sys.executable, __file__, "--child", which, "--model", args.model,
                               "--examples", str(args.examples), "--epochs", str(args.epochs)],
                              capture_output=True, text=True, env={**os.environ, "SFTGUI_BENCH_MODELS": str(models),
                                                                   "PYTHONPATH": str(ROOT)})
        line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
        if proc.returncode or not line:
            sys.exit(f"{which} failed:\n{proc.stderr[-3000:]}")
        results[which] = json.loads(line[-1][7:])
    p, s = results["plain"], results["sftgui"]
    print(f"model {args.model}, {s['train_rows']} training examples, {args.epochs} epoch(s), LoRA r={R}, "
          f"precision {s['precision']}")
    print(f"plain Trainer script: {p['tokens_per_second']:.0f} tokens/s, peak memory {p['peak_rss_mib']:.0f} MiB")
    print(f"sftgui (Quick):       {s['tokens_per_second']:.0f} tokens/s, peak memory {s['peak_rss_mib']:.0f} MiB")
    print(f"ratio sftgui/plain: {s['tokens_per_second'] / p['tokens_per_second']:.2f}x tokens/s, "
          f"{s['peak_rss_mib'] / p['peak_rss_mib']:.2f}x memory")


if __name__ == "__main__":
    main()
