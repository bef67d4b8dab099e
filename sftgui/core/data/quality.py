"""The quality report of a project's draft, and the fixes that edit the draft (undoable).

Findings: exact and near duplicates, the same text with different labels, empty text, missing
labels, texts longer than the model reads, class imbalance, classes too small to split, one
class only, and (with a split column) the same text in train and test.
"""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sftgui.core.data import splits as sp
from sftgui.core.data.labelling import edit
from sftgui.core.projects import get_project
from sftgui.errors import UserError
from sftgui.store import draft_repo

EXAMPLES = 5
IMBALANCE_RATIO = 3.0  # largest class / smallest class above this is reported
# Punctuation and symbols become spaces; str.translate is ~10x faster than a regex at 100k rows.
_PUNCT = {
    i: " " for i in range(0x3000)
    if unicodedata.category(chr(i))[0] in "PSZ" or chr(i) in "\t\n\r\x0b\x0c"
}


@dataclass(frozen=True)
class Finding:
    kind: str
    count: int
    message: str  # one plain sentence
    examples: list = field(default_factory=list)
    fix: str | None = None  # the `sftgui data fix` option that repairs it, if any


@dataclass(frozen=True)
class QualityReport:
    rows: int
    labelled: int
    labels: dict
    findings: list[Finding]
    max_length: int | None = None

    def to_json(self) -> dict:
        return {
            "rows": self.rows,
            "labelled": self.labelled,
            "labels": self.labels,
            "max_length": self.max_length,
            "findings": [asdict(f) for f in self.findings],
        }

    def kinds(self) -> set[str]:
        return {f.kind for f in self.findings}


def fold(text: str | None) -> str:
    """Near-duplicate key: case, accents' forms, whitespace and punctuation folded away."""
    if not text:
        return ""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().translate(_PUNCT).split())


def _example(row, **extra) -> dict:
    return {"row": row[0], "text": (row[1] or "")[:200], "label": row[2], **extra}


def check_draft(ws, project, *, model_dir=None, max_length: int | None = None, check_length: bool = True) -> QualityReport:
    """Scan every live row of the draft. `check_length` tokenizes long texts with the project's
    model (bundled by default) to count the tokens that would be cut."""
    from sftgui.core.tasks import task_of

    project = get_project(ws, project)
    task = task_of(project)
    rows = list(draft_repo.iter_live(project.id))
    labelled = [r for r in rows if r[2] is not None]
    counts = dict(sorted(Counter(r[2] for r in labelled).items(), key=lambda kv: (-kv[1], kv[0])))
    findings: list[Finding] = []
    add = findings.append

    by_text: dict[str, list] = defaultdict(list)
    by_fold: dict[str, list] = defaultdict(list)
    folded: dict[int, str] = {}
    for r in rows:
        if r[1] and r[1].strip():
            by_text[r[1]].append(r)
            folded[r[0]] = key = fold(r[1])
            by_fold[key].append(r)

    exact = [g for g in by_text.values() if len(g) > 1]
    if exact:
        n = sum(len(g) - 1 for g in exact)
        add(Finding("exact_duplicates", n, f"{n} row(s) repeat a text that appears earlier.",
                    [_example(g[1], first_row=g[0][0]) for g in exact[:EXAMPLES]], "drop-duplicates"))
    near = [g for g in by_fold.values() if len({r[1] for r in g}) > 1]
    if near:
        n = sum(len({r[1] for r in g}) - 1 for g in near)  # exact repeats are counted above
        add(Finding("near_duplicates", n,
                    f"{n} row(s) differ from an earlier text only in case, spacing or punctuation.",
                    [_example(next(r for r in g if r[1] != g[0][1]), first_row=g[0][0], first_text=g[0][1][:200])
                     for g in near[:EXAMPLES]],
                    "drop-duplicates"))
    conflicts = [g for g in by_fold.values() if len({r[2] for r in g if r[2] is not None}) > 1]
    if conflicts:
        add(Finding("label_conflicts", len(conflicts),
                    f"{len(conflicts)} text(s) appear with different labels.",
                    [{"text": g[0][1][:200], "labels": dict(Counter(r[2] for r in g if r[2] is not None)),
                      "rows": [r[0] for r in g]} for g in conflicts[:EXAMPLES]],
                    "resolve-conflicts"))
    empty = [r for r in rows if not (r[1] and r[1].strip())]
    if empty:
        add(Finding("empty_text", len(empty), f"{len(empty)} row(s) have no text.",
                    [_example(r) for r in empty[:EXAMPLES]], "drop-empty"))
    missing = len(rows) - len(labelled) if task.labelled else 0
    if missing:
        add(Finding("missing_labels", missing,
                    f"{missing} row(s) have no label; they are left out of training until labelled.",
                    [_example(r) for r in rows if r[2] is None][:EXAMPLES]))
    if len(counts) == 1:
        add(Finding("single_class", 1, f"Every labelled row has the label {next(iter(counts))!r}; "
                    "a classifier needs at least two labels.", [next(iter(counts))]))
    small = sp.too_small(counts)
    if small:
        add(Finding("too_few_examples", len(small),
                    f"{len(small)} label(s) have fewer than {sp.min_class_size()} examples, too few to split into "
                    "train, validation and test.", [{"label": k, "count": v} for k, v in small.items()], "merge-label"))
    if len(counts) > 1:
        big, little = max(counts.values()), min(counts.values())
        if big / little > IMBALANCE_RATIO:
            add(Finding("class_imbalance", len(counts),
                        f"The largest label has {big / little:.0f} times as many rows as the smallest; "
                        "the model may ignore the small ones.", [counts]))
    findings += task.quality_findings(ws, project, rows)
    leak = _split_leakage(rows, folded)
    if leak:
        add(Finding("split_leakage", len(leak), f"{len(leak)} text(s) are in both the train and the test split.",
                    [{"text": t[:200]} for t in leak[:EXAMPLES]], "drop-duplicates"))
    limit = None
    if check_length and rows:
        limit, too_long = _too_long(project, rows, model_dir, max_length, ws=ws)
        if too_long:
            cut = sum(x[1] for x in too_long)
            add(Finding("too_long", len(too_long),
                        f"{len(too_long)} text(s) are longer than the model reads ({limit} tokens); "
                        f"{cut} tokens would be cut off.",
                        [_example(r, tokens_cut=c) for r, c in too_long[:EXAMPLES]]))
    return QualityReport(len(rows), len(labelled), counts, findings, limit)


def _split_leakage(rows, folded: dict[int, str]) -> list[str]:
    train = {folded[r[0]] for r in rows if r[3] == "train" and r[0] in folded}
    seen, out = set(), []
    for r in rows:
        key = folded.get(r[0])
        if r[3] == "test" and key and key in train and key not in seen:
            seen.add(key)
            out.append(r[1])
    return out


def model_folder(project, model_dir=None, ws=None) -> Path:
    """The project's base model folder when it is a local folder, else the bundled model (the
    task's own, when it has one)."""
    from sftgui.core.tasks import task_of
    from sftgui.paths import bundled_model_dir

    for candidate in (model_dir, project.base_model):
        if candidate and candidate != "bundled" and Path(candidate).is_dir():
            return Path(candidate)
    own = task_of(project).bundled_model(ws) if ws is not None else None
    return own[0] if own else bundled_model_dir()


def _too_long(project, rows, model_dir, max_length, ws=None):
    """(row, tokens cut) for texts over the limit. Only texts with more UTF-8 bytes than the limit can
    be over it (no tokenizer makes more tokens than bytes + 2), so most rows are never tokenized.
    How long an input is for the model is the task's (`Task.token_lengths`)."""
    import json

    from sftgui.core.tasks import task_of

    folder = model_folder(project, model_dir, ws)
    if max_length is None:
        cfg = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        max_length = int(cfg.get("max_position_embeddings") or 512)
    candidates = [r for r in rows if r[1] and len(r[1].encode("utf-8")) + 2 > max_length]
    if not candidates:
        return max_length, []
    lengths = task_of(project).token_lengths(folder, [r[1] for r in candidates]) or [0] * len(candidates)
    return max_length, [(r, n - max_length) for r, n in zip(candidates, lengths) if n > max_length]


# -- fixes (each one undoable edit) ----------------------------------------------------------------
def drop_duplicates(ws, project, *, near: bool = True) -> int:
    """Remove every row whose text (folded, when `near`) appeared earlier; the first is kept."""
    project = get_project(ws, project)
    seen, changes = set(), []
    for r in draft_repo.iter_live(project.id):
        if not (r[1] and r[1].strip()):
            continue
        key = fold(r[1]) if near else r[1]
        if key in seen:
            changes.append([r[0], "removed", False, True])
        seen.add(key)
    return edit(project, f"Drop {len(changes)} duplicate row(s)", changes)


def drop_empty(ws, project) -> int:
    project = get_project(ws, project)
    changes = [[r[0], "removed", False, True] for r in draft_repo.iter_live(project.id) if not (r[1] and r[1].strip())]
    return edit(project, f"Drop {len(changes)} empty row(s)", changes)


def resolve_conflicts(ws, project, how: str = "majority") -> int:
    """`majority`: give every copy of a text its most common label (a tie is flagged instead);
    `flag`: flag the copies for review. Returns the rows changed."""
    if how not in ("majority", "flag"):
        raise UserError(f"Resolve conflicts by 'majority' or 'flag', not {how!r}.")
    project = get_project(ws, project)
    groups: dict[str, list] = defaultdict(list)
    for r in draft_repo.iter_live(project.id):
        if r[1] and r[1].strip() and r[2] is not None:
            groups[fold(r[1])].append(r)
    changes = []
    for g in groups.values():
        votes = Counter(r[2] for r in g).most_common()
        if len(votes) < 2:
            continue
        if how == "majority" and votes[0][1] > votes[1][1]:
            changes += [[r[0], "label", r[2], votes[0][0]] for r in g]
        else:
            changes += [[r[0], "flagged", r[4], True] for r in g]
    return edit(project, f"Resolve label conflicts ({how})", changes)
