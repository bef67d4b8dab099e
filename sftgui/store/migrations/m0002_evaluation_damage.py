"""Schema version 2: cached evaluations, damage marks and shared-bytes accounting on versions,
and a trigger that keeps a version's content immutable in the database itself."""

from __future__ import annotations

IMMUTABLE = (
    "project_id", "number", "base_model", "manifest_blob", "predictions_blob", "config", "metrics",
    "labels", "weights_tensors", "weights_bytes", "weights_new_bytes", "created_at",
)  # run_id, parent_id, snapshot_id are left out: ON DELETE SET NULL must still be able to clear them

SQL = [
    'CREATE TABLE "evaluation" ("id" INTEGER NOT NULL PRIMARY KEY, "version_id" INTEGER NOT NULL, '
    '"snapshot_id" INTEGER NOT NULL, "result_blob" VARCHAR(255) NOT NULL, "created_at" TEXT NOT NULL, '
    'FOREIGN KEY ("version_id") REFERENCES "model_version" ("id") ON DELETE CASCADE, '
    'FOREIGN KEY ("snapshot_id") REFERENCES "dataset_snapshot" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "evaluation_version_id" ON "evaluation" ("version_id")',
    'CREATE INDEX "evaluation_snapshot_id" ON "evaluation" ("snapshot_id")',
    'CREATE UNIQUE INDEX "evaluation_version_id_snapshot_id" ON "evaluation" ("version_id", "snapshot_id")',
    'ALTER TABLE "model_version" ADD COLUMN "damaged" TEXT',
    'ALTER TABLE "model_version" ADD COLUMN "weights_new_bytes" INTEGER NOT NULL DEFAULT 0',
    'CREATE TRIGGER "model_version_immutable" BEFORE UPDATE ON "model_version" WHEN '
    + " OR ".join(f'NEW."{c}" IS NOT OLD."{c}"' for c in IMMUTABLE)
    + " BEGIN SELECT RAISE(ABORT, 'a model version cannot change; only its notes, tags and trash state can'); END",
]


def apply(db) -> None:
    for statement in SQL:
        db.execute_sql(statement)
