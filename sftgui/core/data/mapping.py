"""Which column holds the text, the label and (optionally) the split: detected by name and
content, overridable by the user; and the normalisation of the values read from them."""

from __future__ import annotations

from dataclasses import dataclass

from sftgui.errors import UserError

TEXT_NAMES = ("text", "texts", "sentence", "message", "content", "body", "review", "comment", "utterance",
              "document", "description", "question", "query", "tweet", "title", "input")
LABEL_NAMES = ("label", "labels", "category", "class", "target", "intent", "topic", "sentiment", "tag",
               "team", "queue", "y", "output")
SPLIT_NAMES = ("split", "set", "subset", "partition", "fold")
SPLITS = {"train": "train", "training": "train", "validation": "validation", "valid": "validation",
          "val": "validation", "dev": "validation", "eval": "validation", "test": "test", "testing": "test"}


@dataclass(frozen=True)
class Mapping:
    text_col: str
    label_col: str | None
    split_col: str | None


def _pick(columns: list[str], wanted: str | None, what: str, file: str) -> str | None:
    if wanted is None:
        return None
    if wanted in columns:
        return wanted
    folded = {c.lower(): c for c in columns}
    if wanted.strip().lower() in folded:
        return folded[wanted.strip().lower()]
    raise UserError(f"{file} has no column {wanted!r} for the {what}; its columns are {', '.join(map(repr, columns))}.")


def _by_name(columns, names, taken):
    for name in names:
        for c in columns:
            if c.lower() == name and c not in taken:
                return c
    return None


def detect_mapping(columns: list[str], sample: list[dict], *, file: str = "the file", text_col=None,
                   label_col=None, split_col=None) -> Mapping:
    """Text: a known name, else the column of longest strings. Label: a known name, else a column with
    few distinct values. Split: a known name whose values are split names. Overrides win."""
    text = _pick(columns, text_col, "text", file)
    label = _pick(columns, label_col, "label", file)
    split = _pick(columns, split_col, "split", file)
    taken = {c for c in (text, label, split) if c}
    if text is None:
        text = _by_name(columns, TEXT_NAMES, taken)
    if text is None:
        lengths = {
            c: sum(len(r[c]) for r in sample if isinstance(r.get(c), str)) / max(1, len(sample))
            for c in columns if c not in taken
        }
        if lengths and max(lengths.values()) > 0:
            text = max(lengths, key=lengths.get)
    if text is None:
        raise UserError(
            f"sftgui cannot tell which column of {file} holds the text (columns: {', '.join(map(repr, columns))}); "
            "choose it with --text-col."
        )
    taken.add(text)
    if split is None and split_col is None:
        cand = _by_name(columns, SPLIT_NAMES, taken)
        if cand and all(_split_value(r.get(cand)) is not False for r in sample):
            split = cand
    if split:
        taken.add(split)
    if label is None and label_col is None:
        label = _by_name(columns, LABEL_NAMES, taken)
        if label is None:
            label = _few_values_column([c for c in columns if c not in taken], sample)
    return Mapping(text, label, split)


def _few_values_column(columns, sample) -> str | None:
    """The column whose values repeat most (a label column has few distinct values)."""
    best, best_ratio = None, 0.5
    for c in columns:
        values = [r.get(c) for r in sample if r.get(c) not in (None, "")]
        if len(values) < 2:
            continue
        ratio = len({str(v) for v in values}) / len(values)
        if ratio <= best_ratio and len({str(v) for v in values}) <= 100:
            best, best_ratio = c, ratio
    return best


def _split_value(value):
    """The canonical split name, None for an empty cell, False for something that is not a split."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return SPLITS.get(str(value).strip().lower(), False)


def split_value(value, file: str, where: str, column: str):
    v = _split_value(value)
    if v is False:
        raise UserError(
            f"{file} {where}: the split column {column!r} holds {value!r}; use train, validation or test "
            "(or leave the split column out)."
        )
    return v


def text_value(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN from a numeric column
        return None
    return value if isinstance(value, str) else str(value)


def label_value(value) -> str | None:
    """Labels are stored as text: 1.0 -> "1"; empty cells mean no label."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def label_kind(value) -> str | None:
    """The kind of a label value, to refuse files that mix `1` and `"1"`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "text"
    return type(value).__name__
