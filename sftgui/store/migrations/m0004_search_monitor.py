"""Schema version 4: hyperparameter searches (one row per search, its trials are runs with
`search_id`), and a kind on dataset snapshots ("training" for frozen drafts, "monitor" for a dated
batch of new labelled rows that is scored but never trained on unless the user adds it to the draft)."""

from __future__ import annotations

SQL = [
    'CREATE TABLE "search" ("id" INTEGER NOT NULL PRIMARY KEY, "project_id" INTEGER NOT NULL, '
    '"status" VARCHAR(255) NOT NULL, "settings" TEXT NOT NULL, "storage" TEXT NOT NULL, '
    '"best_run_id" INTEGER, "version_id" INTEGER, "created_at" TEXT NOT NULL, "ended_at" TEXT, '
    'FOREIGN KEY ("project_id") REFERENCES "project" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "search_project_id" ON "search" ("project_id")',
    'ALTER TABLE "run" ADD COLUMN "search_id" INTEGER REFERENCES "search" ("id") ON DELETE SET NULL',
    'CREATE INDEX "run_search_id" ON "run" ("search_id")',
    'ALTER TABLE "dataset_snapshot" ADD COLUMN "kind" VARCHAR(255) NOT NULL DEFAULT \'training\'',
]


def apply(db) -> None:
    for statement in SQL:
        db.execute_sql(statement)
