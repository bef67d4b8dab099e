"""Blind A/B votes between two versions' answers, stored per prompt, summarised as a win rate with
its uncertainty (a Wilson score interval).

A vote is `{a, b, row_id, prompt, winner}` where a and b are version ids in a fixed order (the
lower id first) and winner is "a", "b" or "tie"; the order the voter saw the answers in is
shuffled and hidden, and only the verdict is kept. Votes live in the workspace's settings table
under one key per project, so a new vote needs no new table. Voting again on the same prompt
replaces the earlier vote.
"""

from __future__ import annotations

import math
import random

from sftgui.errors import UserError
from sftgui.store.timeutil import now_iso

Z95 = 1.959963984540054


def _key(project_id: int) -> str:
    return f"votes.project.{int(project_id)}"


def _ordered(v1, v2):
    if v1.project_id != v2.project_id:
        raise UserError("Votes compare two versions of the same project.")
    if v1.id == v2.id:
        raise UserError("Name two different versions to vote between.")
    return (v1, v2) if v1.id < v2.id else (v2, v1)


def votes(ws, v1, v2) -> list[dict]:
    from sftgui.store.settings_repo import get_setting

    a, b = _ordered(v1, v2)
    return [x for x in get_setting(_key(a.project_id), []) if x["a"] == a.id and x["b"] == b.id]


def record_vote(ws, v1, v2, *, row_id: int, prompt: str, winner) -> dict:
    """Store one verdict: `winner` is v1, v2 (a version) or None for a tie."""
    from sftgui.store.settings_repo import get_setting, set_setting

    if ws.readonly:
        raise UserError("This workspace was opened read-only; voting needs write access.")
    a, b = _ordered(v1, v2)
    if winner is not None and winner.id not in (a.id, b.id):
        raise UserError(f"{winner.ref} is not one of the two versions being compared.")
    verdict = "tie" if winner is None else ("a" if winner.id == a.id else "b")
    vote = {"a": a.id, "b": b.id, "row_id": int(row_id), "prompt": str(prompt), "winner": verdict, "at": now_iso()}
    kept = [x for x in get_setting(_key(a.project_id), [])
            if not (x["a"] == a.id and x["b"] == b.id and x["row_id"] == vote["row_id"])]
    set_setting(_key(a.project_id), kept + [vote])
    return vote


def wilson(wins: float, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion wins/n (None without votes)."""
    if n <= 0:
        return None
    p = wins / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def summary(ws, v1, v2) -> dict:
    """`{versions, votes, wins: {ref: n}, ties, win_rate, interval, sentence}` from v1's side; a tie
    counts half a win for each, as in the usual pairwise win rate."""
    a, b = _ordered(v1, v2)
    found = votes(ws, v1, v2)
    wins_a = sum(x["winner"] == "a" for x in found)
    wins_b = sum(x["winner"] == "b" for x in found)
    ties = len(found) - wins_a - wins_b
    mine, theirs = (wins_a, wins_b) if v1.id == a.id else (wins_b, wins_a)
    n = len(found)
    rate = (mine + ties / 2) / n if n else None
    interval = wilson(mine + ties / 2, n)
    if n:
        sentence = (f"{v1.ref} won {mine}, lost {theirs} and tied {ties} of {n} blind votes against {v2.ref}: "
                    f"win rate {rate:.0%} (95% interval {interval[0]:.0%} to {interval[1]:.0%})")
        if interval[0] > 0.5:
            sentence += f"; {v1.ref} is better."
        elif interval[1] < 0.5:
            sentence += f"; {v2.ref} is better."
        else:
            sentence += "; too few votes to tell which is better."
    else:
        sentence = f"No votes between {v1.ref} and {v2.ref} yet."
    return {"versions": [v1.ref, v2.ref], "votes": n, "wins": {v1.ref: mine, v2.ref: theirs}, "ties": ties,
            "win_rate": rate, "interval": list(interval) if interval else None, "sentence": sentence}


def blind_pairs(rows: list[dict], v1, v2, *, seed: int = 0) -> list[dict]:
    """The ballot: per compared prompt, its two answers in a shuffled, hidden order:
    `{row_id, prompt, answers: [text, text], versions: [v, v]}` (`versions` is not shown)."""
    rng = random.Random(seed)
    ballot = []
    for r in rows:
        pair = [(v1, r["before"]), (v2, r["after"])]
        rng.shuffle(pair)
        ballot.append({"row_id": r["row_id"], "prompt": r["prompt"], "answers": [p[1] for p in pair],
                       "versions": [p[0] for p in pair]})
    return ballot
