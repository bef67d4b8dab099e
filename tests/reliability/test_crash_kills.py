"""SIGKILL a process while it saves versions and moves aliases, many times; nothing may be lost.

SFTGUI_KILLS sets the number of kills (default 24, the bounded mode `make test` runs); the long
mode behind docs/reliability.md is SFTGUI_KILLS=120.
"""

from __future__ import annotations

import os
import random
import signal
import time

from tests.reliability.checks import check_after_crash

KILLS = int(os.environ.get("SFTGUI_KILLS", "24"))
KILLS_PER_WORKSPACE = 12
MAX_DELAY_S = 0.5  # a child needs ~0.1 s to open the workspace, then saves a version every ~30 ms


def _new_workspace(path):
    from sftgui.core.projects import create_project
    from sftgui.store.db import open_workspace

    ws = open_workspace(path)
    create_project(ws, "crash")
    ws.close()


def _kill_after(server, delay: float, *command) -> tuple[list[str], int]:
    pid = server.send(*command)
    time.sleep(delay)
    os.kill(pid, signal.SIGKILL)
    seen: list[str] = []
    status = int(server.expect(f"dead {pid}", seen=seen).split()[2])
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, (status, seen)
    return seen, pid


def test_sigkill_at_random_points_while_saving_loses_nothing(tmp_path, crash_server, figures):
    rng = random.Random(int(os.environ.get("SFTGUI_KILL_SEED", "8")))
    mid_write = saved = 0
    for i in range(KILLS):
        if i % KILLS_PER_WORKSPACE == 0:  # each check re-hashes everything: keep the total linear in KILLS
            path = tmp_path / f"ws{i}"
            _new_workspace(path)
            acked: set[int] = set()
            moves: list[int] = []
        seen, _ = _kill_after(crash_server, rng.uniform(0, MAX_DELAY_S), "loop", path, rng.randrange(1 << 30))
        for line in seen:
            word, _, n = line.partition(" ")
            if word == "saved":
                acked.add(int(n))
            elif word == "moved":
                moves.append(int(n))
        found = check_after_crash(path, "crash", acked, moves)
        mid_write += bool(found["tmp_swept"] or found["orphans_removed"])
        figures["kills_survived"] += 1
        figures["temp_files_swept"] += found["tmp_swept"]
        figures["orphan_blobs_collected"] += found["orphans_removed"]
        if (i + 1) % KILLS_PER_WORKSPACE == 0 or i + 1 == KILLS:
            saved += len(acked)
            figures["versions_saved_then_checked"] += found["versions"]
            figures["alias_moves_checked"] += len(moves)
    figures["kills_that_hit_a_write"] += mid_write
    assert saved >= KILLS // 3, "the children hardly saved anything: the kills tested nothing"
    assert mid_write >= 1, "no kill landed during a write"
