"""Every supported format, written by the test, imported into a real workspace."""

import json

import pytest

from sftgui.core import projects
from sftgui.core.data import importers, labelling, labels
from sftgui.errors import UserError
from sftgui.store import draft_repo
from tests.core.data.badfiles import BAD_FILES, write_bad

ROWS = [("Refund my order please", "billing"), ("The app crashes on start", "technical"),
        ("Café crème was charged twice", "billing"), ("Parcel arrived late", "shipping")]


@pytest.fixture
def project(ws):
    return projects.create_project(ws, "p")


def _draft(ws, project):
    return [(r.text, r.label, r.split) for r in labelling.fetch_rows(ws, project, limit=1000)]


def _csv_text(delim=",", header=("text", "label")):
    lines = [delim.join(header)] + [delim.join((f'"{t}"' if delim in t else t, lab)) for t, lab in ROWS]
    return "\r\n".join(lines) + "\r\n"


@pytest.mark.parametrize("encoding, expected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                                ("utf-16", "utf-16"), ("cp1252", "cp1252")])
def test_csv_encodings_are_detected(ws, project, tmp_path, encoding, expected):
    f = tmp_path / "t.csv"
    f.write_bytes(_csv_text().encode(encoding))
    r = importers.import_file(ws, project, f)
    assert r.info["encoding"] == expected
    assert r.rows == 4 and r.labelled == 4
    assert _draft(ws, project) == [(t, lab, None) for t, lab in ROWS]


@pytest.mark.parametrize("delim", [",", ";", "\t", "|"])
def test_delimiters_are_detected(ws, project, tmp_path, delim):
    f = tmp_path / ("t.tsv" if delim == "\t" else "t.csv")
    f.write_text(_csv_text(delim), encoding="utf-8")
    r = importers.import_file(ws, project, f)
    assert r.info["delimiter"] == delim
    assert _draft(ws, project) == [(t, lab, None) for t, lab in ROWS]


def test_header_whitespace_is_stripped_and_columns_detected_by_content(ws, project, tmp_path):
    f = tmp_path / "t.csv"
    body = "\n".join(f"{i},{t},{lab}" for i, (t, lab) in enumerate(ROWS * 3))
    f.write_text(" id , what the customer wrote ,  team \n" + body + "\n", encoding="utf-8")
    r = importers.import_file(ws, project, f)
    assert r.mapping == {"text_col": "what the customer wrote", "label_col": "team", "split_col": None}
    assert r.labels == {"billing": 6, "technical": 3, "shipping": 3}


def test_overrides_split_column_and_unlabelled_rows(ws, project, tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("title,body,cat,part\nA,one text,x,train\nB,two text,,TEST\nC,three text,y,dev\n", encoding="utf-8")
    r = importers.import_file(ws, project, f, text_col="body", label_col="cat", split_col="part")
    assert (r.rows, r.labelled, r.unlabelled) == (3, 2, 1)
    assert _draft(ws, project) == [("one text", "x", "train"), ("two text", None, "test"),
                                   ("three text", "y", "validation")]
    assert [lab.name for lab in labels.list_labels(ws, project)] == ["x", "y"]


def test_split_column_is_detected_by_name_and_values(ws, project, tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("text,label,split\na,x,train\nb,y,test\n", encoding="utf-8")
    assert importers.import_file(ws, project, f).mapping["split_col"] == "split"


def test_excel_sheet_choice(ws, project, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "readme"
    wb.active.append(["nothing here"])
    sheet = wb.create_sheet("data")
    sheet.append(["Text ", "Label"])
    for t, lab in ROWS:
        sheet.append([t, lab])
    sheet.append([None, None])  # blank row at the end is skipped
    sheet.append(["Numbers as labels are text", 3])
    f = tmp_path / "t.xlsx"
    wb.save(f)
    r = importers.import_file(ws, project, f, sheet="data")
    assert r.info["sheet"] == "data" and r.rows == 5
    assert _draft(ws, project)[-1] == ("Numbers as labels are text", "3", None)


def test_json_and_jsonl(ws, project, tmp_path):
    (tmp_path / "t.json").write_text(json.dumps({"data": [{"text": t, "label": lab} for t, lab in ROWS]}))
    (tmp_path / "t.jsonl").write_text("\n".join(json.dumps({"sentence": t, "label": i}) for i, (t, _) in enumerate(ROWS)) + "\n\n")
    assert importers.import_file(ws, project, tmp_path / "t.json").rows == 4
    r = importers.import_file(ws, project, tmp_path / "t.jsonl")
    assert r.mapping["text_col"] == "sentence" and r.labels == {"0": 1, "1": 1, "2": 1, "3": 1}
    assert len(_draft(ws, project)) == 8


def test_parquet(ws, project, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"review": [t for t, _ in ROWS], "stars": [1, 5, 1, None]}), tmp_path / "t.parquet")
    r = importers.import_file(ws, project, tmp_path / "t.parquet", label_col="stars")
    assert (r.rows, r.labelled, r.labels) == (4, 3, {"1": 2, "5": 1})


def test_folder_of_text_files(ws, project, tmp_path):
    for i, (t, lab) in enumerate(ROWS):
        (tmp_path / "docs" / lab).mkdir(parents=True, exist_ok=True)
        (tmp_path / "docs" / lab / f"{i}.txt").write_text(t + "\n", encoding="utf-8")
    r = importers.import_file(ws, project, tmp_path / "docs")
    assert r.info["format"] == "folder" and r.labels == {"billing": 2, "shipping": 1, "technical": 1}
    assert sorted(_draft(ws, project)) == sorted((t, lab, None) for t, lab in ROWS)


def test_saved_dataset_dict_with_class_labels(ws, project, tmp_path):
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

    feats = Features({"text": Value("string"), "label": ClassLabel(names=["neg", "pos"])})
    dd = DatasetDict({
        "train": Dataset.from_dict({"text": ["good", "bad", "fine"], "label": [1, 0, 1]}, features=feats),
        "test": Dataset.from_dict({"text": ["great", "awful"], "label": [1, 0]}, features=feats),
    })
    dd.save_to_disk(str(tmp_path / "ds"))
    r = importers.import_file(ws, project, tmp_path / "ds")
    assert r.mapping["split_col"] == "split" and r.labels == {"pos": 3, "neg": 2}
    assert _draft(ws, project)[-2:] == [("great", "pos", "test"), ("awful", "neg", "test")]


def test_preview_shows_rows_mapping_and_detection(tmp_path):
    f = tmp_path / "t.csv"
    f.write_bytes(_csv_text(";").encode("utf-8-sig"))
    p = importers.preview_file(f, rows=2)
    assert p.columns == ["text", "label"] and len(p.rows) == 2
    assert p.mapping["label_col"] == "label"
    assert p.info["encoding"] == "utf-8-sig" and p.info["delimiter"] == ";"


def test_import_rows_appends_and_reports_progress(ws, project, tmp_path):
    importers.import_rows(ws, project, [{"text": "a", "label": "x"}, {"text": "b", "label": None}])
    f = tmp_path / "big.csv"
    f.write_text("text,label\n" + "".join(f"row {i},{'xy'[i % 2]}\n" for i in range(12_000)), encoding="utf-8")
    seen = []
    importers.import_file(ws, project, f, progress=lambda frac, msg: seen.append(frac))
    assert seen[-1] == pytest.approx(1.0) and len(seen) >= 3
    rows = labelling.fetch_rows(ws, project, limit=3)
    assert [r.text for r in rows] == ["a", "b", "row 0"]
    assert labelling.count_rows(ws, project) == 12_002


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_files_are_refused_and_nothing_is_imported(ws, project, tmp_path, kind):
    importers.import_rows(ws, project, [{"text": "kept", "label": "old"}])
    path, options, words = write_bad(tmp_path, kind)
    with pytest.raises(UserError) as err:
        importers.import_file(ws, project, path, **options)
    message = str(err.value)
    for w in words:
        assert w in message, message
    assert draft_repo.count_rows(project.id) == 1
    assert [lab.name for lab in labels.list_labels(ws, project)] == ["old"]


def test_a_bad_row_after_many_good_ones_rolls_back_everything(ws, project, tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("text,label\n" + "ok,x\n" * 20_000 + "bad,x,extra\n", encoding="utf-8")
    with pytest.raises(UserError, match="line 20002"):
        importers.import_file(ws, project, f)
    assert draft_repo.count_rows(project.id) == 0
