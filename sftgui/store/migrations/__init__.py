"""Numbered schema migrations. `MIGRATIONS[i]` takes the schema from version i to i+1.

Each migration is plain SQL, frozen when written; `open_workspace` runs the pending ones in one
transaction after a backup, and records the version in PRAGMA user_version. A change to
models.py needs a new migration here: tests/store/test_migrations.py compares the two.
"""

from __future__ import annotations

from sftgui.store.migrations import m0001_initial, m0002_evaluation_damage, m0003_sticky_splits_purge

MIGRATIONS = [m0001_initial.apply, m0002_evaluation_damage.apply, m0003_sticky_splits_purge.apply]
SCHEMA_VERSION = len(MIGRATIONS)
