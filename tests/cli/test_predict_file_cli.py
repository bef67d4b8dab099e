"""`sftgui predict V --file PATH`: every text of a table file, streamed, in the shape of the
contract's predict answer; bad input refused in one sentence before any answer."""

from __future__ import annotations

import csv
import json

from tests.cli.test_evaluate_cli import run, workspace  # noqa: F401 - the module's workspace fixture

TEXTS = ["refund my card", "parcel lost", "password reset please", "my card was charged twice"]


def _csv(path, rows, header=("id", "text")):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_a_file_is_predicted_like_the_same_texts_given_inline(workspace, capsys, tmp_path):  # noqa: F811
    texts = TEXTS * 300  # more than one streaming chunk
    path = _csv(tmp_path / "big.csv", [(i, t) for i, t in enumerate(texts)])
    code, out, err = run(workspace, capsys, "predict", "tickets@v1", "--file", str(path), "--json", "--device", "cpu")
    assert code == 0, err
    doc = json.loads(out)
    assert [d["text"] for d in doc] == texts
    code, out, _ = run(workspace, capsys, "predict", "tickets@v1", *TEXTS, "--json")
    inline = json.loads(out)
    assert [d["label"] for d in doc[:4]] == [d["label"] for d in inline] == ["billing", "shipping", "login", "billing"]
    code, out, err = run(workspace, capsys, "predict", "tickets@v1", "--file", str(path), "--top-k", "1")
    assert code == 0 and len(out.strip().splitlines()) == len(texts)
    assert err.startswith("runs on: CPU (") and "1,200 texts" in err


def test_a_named_column_and_the_refusals(workspace, capsys, tmp_path):  # noqa: F811
    path = _csv(tmp_path / "t.csv", [(t, "x") for t in TEXTS], header=("body", "other"))
    code, out, _ = run(workspace, capsys, "predict", "tickets@v1", "--file", str(path), "--column", "body", "--json")
    assert code == 0 and [d["text"] for d in json.loads(out)] == TEXTS
    holes = _csv(tmp_path / "holes.csv", [(1, "refund"), (2, " "), (3, "parcel")])
    bad = [
        (["--file", str(path)], "--column"),  # no 'text' column
        (["--file", str(holes)], "line 3"),  # an empty text, named by its line
        (["--file", str(tmp_path / "none.csv")], "no file"),
        ([], "Give the texts"),
        (["hi", "--file", str(path)], "not both"),
    ]
    import torch

    if not torch.cuda.is_available():
        bad.append((["hi", "--device", "cuda"], "No CUDA"))
    for args, words in bad:
        code, out, err = run(workspace, capsys, "predict", "tickets@v1", *args)
        assert code == 2, args
        assert out == "" and len(err.strip().splitlines()) == 1 and words in err, (args, err)
