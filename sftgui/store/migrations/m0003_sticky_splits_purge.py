"""Schema version 3: the split each draft row was given the first time it was frozen (kept in
every later snapshot), and the time a version was purged (its row stays as a tombstone, so the
alias history that names it stays whole; its blobs are no longer referenced and gc frees them)."""

from __future__ import annotations

SQL = [
    'ALTER TABLE "draft_row" ADD COLUMN "assigned_split" VARCHAR(255)',
    'ALTER TABLE "model_version" ADD COLUMN "purged_at" TEXT',
]


def apply(db) -> None:
    for statement in SQL:
        db.execute_sql(statement)
