"""Schema version 1, frozen as SQL: the tables of the first release.

Never edit this file: change the schema with a new numbered migration (and models.py with it).
`tests/store/test_migrations.py` fails when the migrated schema and models.py disagree.
"""

from __future__ import annotations

SQL = [
    'CREATE TABLE "project" ("id" INTEGER NOT NULL PRIMARY KEY, "name" VARCHAR(255) NOT NULL, "task" VARCHAR(255) NOT NULL, "base_model" TEXT, "settings" TEXT NOT NULL, "created_at" TEXT NOT NULL)',
    'CREATE UNIQUE INDEX "project_name" ON "project" ("name")',
    'CREATE TABLE "dataset_snapshot" ("id" INTEGER NOT NULL PRIMARY KEY, "project_id" INTEGER NOT NULL, "hash" VARCHAR(255) NOT NULL, "blob" VARCHAR(255) NOT NULL, "rows" INTEGER NOT NULL, "label_counts" TEXT NOT NULL, "split_counts" TEXT NOT NULL, "meta" TEXT NOT NULL, "created_at" TEXT NOT NULL, FOREIGN KEY ("project_id") REFERENCES "project" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "dataset_snapshot_project_id" ON "dataset_snapshot" ("project_id")',
    'CREATE TABLE "run" ("id" INTEGER NOT NULL PRIMARY KEY, "project_id" INTEGER NOT NULL, "status" VARCHAR(255) NOT NULL, "config" TEXT NOT NULL, "snapshot_id" INTEGER, "parent_version" INTEGER, "seed" INTEGER, "device" VARCHAR(255), "precision" VARCHAR(255), "started_at" TEXT, "ended_at" TEXT, "wall_s" REAL, "train_samples_per_second" REAL, "last_step" INTEGER NOT NULL, "checkpoint_dir" TEXT, "log_path" TEXT, "error" TEXT, "metrics" TEXT NOT NULL, "environment" TEXT NOT NULL, "pid" INTEGER, FOREIGN KEY ("project_id") REFERENCES "project" ("id") ON DELETE CASCADE, FOREIGN KEY ("snapshot_id") REFERENCES "dataset_snapshot" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "run_project_id" ON "run" ("project_id")',
    'CREATE INDEX "run_snapshot_id" ON "run" ("snapshot_id")',
    'CREATE TABLE "model_version" ("id" INTEGER NOT NULL PRIMARY KEY, "project_id" INTEGER NOT NULL, "number" INTEGER NOT NULL, "run_id" INTEGER, "parent_id" INTEGER, "base_model" TEXT NOT NULL, "snapshot_id" INTEGER, "manifest_blob" VARCHAR(255) NOT NULL, "predictions_blob" VARCHAR(255), "config" TEXT NOT NULL, "metrics" TEXT NOT NULL, "labels" TEXT NOT NULL, "weights_tensors" INTEGER NOT NULL, "weights_bytes" INTEGER NOT NULL, "notes" TEXT NOT NULL, "tags" TEXT NOT NULL, "created_at" TEXT NOT NULL, "trashed_at" TEXT, FOREIGN KEY ("project_id") REFERENCES "project" ("id") ON DELETE CASCADE, FOREIGN KEY ("run_id") REFERENCES "run" ("id") ON DELETE SET NULL, FOREIGN KEY ("parent_id") REFERENCES "model_version" ("id") ON DELETE SET NULL, FOREIGN KEY ("snapshot_id") REFERENCES "dataset_snapshot" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "model_version_project_id" ON "model_version" ("project_id")',
    'CREATE INDEX "model_version_run_id" ON "model_version" ("run_id")',
    'CREATE INDEX "model_version_parent_id" ON "model_version" ("parent_id")',
    'CREATE INDEX "model_version_snapshot_id" ON "model_version" ("snapshot_id")',
    'CREATE UNIQUE INDEX "model_version_project_id_number" ON "model_version" ("project_id", "number")',
    'CREATE TABLE "alias" ("id" INTEGER NOT NULL PRIMARY KEY, "project_id" INTEGER NOT NULL, "name" VARCHAR(255) NOT NULL, "version_id" INTEGER NOT NULL, FOREIGN KEY ("project_id") REFERENCES "project" ("id") ON DELETE CASCADE, FOREIGN KEY ("version_id") REFERENCES "model_version" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX "alias_project_id" ON "alias" ("project_id")',
    'CREATE INDEX "alias_version_id" ON "alias" ("version_id")',
    'CREATE UNIQUE INDEX "alias_project_id_name" ON "alias" ("project_id", "name")',
    'CREATE TABLE "alias_event" ("id" INTEGER NOT NULL PRIMARY KEY, "project_id" INTEGER NOT NULL, "alias" VARCHAR(255) NOT NULL, "from_version_id" INTEGER, "to_version_id" INTEGER NOT NULL, "at" TEXT NOT NULL, "reason" TEXT NOT NULL, "user" TEXT NOT NULL, FOREIGN KEY ("project_id") REFERENCES "project" ("id") ON DELETE CASCADE, FOREIGN KEY ("from_version_id") REFERENCES "model_version" ("id") ON DELETE RESTRICT, FOREIGN KEY ("to_version_id") REFERENCES "model_version" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX "alias_event_project_id" ON "alias_event" ("project_id")',
    'CREATE INDEX "alias_event_from_version_id" ON "alias_event" ("from_version_id")',
    'CREATE INDEX "alias_event_to_version_id" ON "alias_event" ("to_version_id")',
    'CREATE TABLE "audit_event" ("id" INTEGER NOT NULL PRIMARY KEY, "at" TEXT NOT NULL, "user" TEXT NOT NULL, "action" VARCHAR(255) NOT NULL, "target" TEXT NOT NULL, "detail" TEXT NOT NULL)',
    'CREATE TABLE "draft_edit" ("id" INTEGER NOT NULL PRIMARY KEY, "project_id" INTEGER NOT NULL, "seq" INTEGER NOT NULL, "description" TEXT NOT NULL, "changes" TEXT NOT NULL, "undone" INTEGER NOT NULL, "at" TEXT NOT NULL, FOREIGN KEY ("project_id") REFERENCES "project" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "draft_edit_project_id" ON "draft_edit" ("project_id")',
    'CREATE UNIQUE INDEX "draft_edit_project_id_seq" ON "draft_edit" ("project_id", "seq")',
    'CREATE TABLE "draft_row" ("id" INTEGER NOT NULL PRIMARY KEY, "project_id" INTEGER NOT NULL, "position" INTEGER NOT NULL, "text" TEXT, "label" TEXT, "split" VARCHAR(255), "flagged" INTEGER NOT NULL, "removed" INTEGER NOT NULL, "source" TEXT, FOREIGN KEY ("project_id") REFERENCES "project" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "draft_row_project_id" ON "draft_row" ("project_id")',
    'CREATE INDEX "draft_row_project_id_position" ON "draft_row" ("project_id", "position")',
    'CREATE TABLE "label" ("id" INTEGER NOT NULL PRIMARY KEY, "project_id" INTEGER NOT NULL, "name" TEXT NOT NULL, "colour" VARCHAR(255) NOT NULL, "shortcut" INTEGER, "position" INTEGER NOT NULL, FOREIGN KEY ("project_id") REFERENCES "project" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "label_project_id" ON "label" ("project_id")',
    'CREATE UNIQUE INDEX "label_project_id_name" ON "label" ("project_id", "name")',
    'CREATE TABLE "metric_point" ("id" INTEGER NOT NULL PRIMARY KEY, "run_id" INTEGER NOT NULL, "step" INTEGER NOT NULL, "epoch" REAL, "name" VARCHAR(255) NOT NULL, "value" REAL NOT NULL, FOREIGN KEY ("run_id") REFERENCES "run" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "metric_point_run_id" ON "metric_point" ("run_id")',
    'CREATE INDEX "metric_point_run_id_name_step" ON "metric_point" ("run_id", "name", "step")',
    'CREATE TABLE "setting" ("id" INTEGER NOT NULL PRIMARY KEY, "key" VARCHAR(255) NOT NULL, "value" TEXT NOT NULL)',
    'CREATE UNIQUE INDEX "setting_key" ON "setting" ("key")',
]


def apply(db) -> None:
    for statement in SQL:
        db.execute_sql(statement)
