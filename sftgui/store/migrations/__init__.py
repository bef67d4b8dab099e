"""Numbered schema migrations. `MIGRATIONS[i]` takes the schema from version i to i+1.

Each migration is plain SQL run in one transaction; the version lives in PRAGMA user_version.
"""

from __future__ import annotations

from sftgui.store.migrations import m0001_initial

MIGRATIONS = [m0001_initial.apply]
SCHEMA_VERSION = len(MIGRATIONS)
