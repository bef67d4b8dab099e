"""peewee models: the current schema. Rows never leave `sftgui.store`; convert to entities.

Timestamps are ISO-8601 UTC strings; JSON columns are TEXT holding JSON. The schema is created
and changed only by numbered migrations (`sftgui/store/migrations`), never by `create_tables`
at run time.
"""

from __future__ import annotations

from peewee import (
    BooleanField,
    CharField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Model,
    SqliteDatabase,
    TextField,
)

# Bound to a file by `open_workspace`; one workspace per process at a time.
class _Database(SqliteDatabase):
    def rollback(self):
        # After SQLITE_FULL (a full disk) or an I/O error SQLite has already rolled the transaction
        # back; a second ROLLBACK fails with "no transaction is active" and hides the real error.
        if not self.is_closed() and not self.connection().in_transaction:
            return None
        return super().rollback()


db = _Database(None)


class Base(Model):
    class Meta:
        database = db
        legacy_table_names = False


class Project(Base):
    name = CharField(unique=True)
    task = CharField()  # "text-classification", ...
    base_model = TextField(null=True)  # default model reference for new runs
    settings = TextField(default="{}")  # JSON: column mapping, split fractions, ...
    created_at = TextField()


class Label(Base):
    project = ForeignKeyField(Project, backref="labels", on_delete="CASCADE")
    name = TextField()
    colour = CharField(default="#4c78a8")
    shortcut = IntegerField(null=True)  # 1-9
    position = IntegerField(default=0)

    class Meta:
        indexes = ((("project", "name"), True),)


class DraftRow(Base):
    """One row of a project's editable draft. `removed` rows are kept so fixes can be undone."""

    project = ForeignKeyField(Project, backref="draft_rows", on_delete="CASCADE")
    position = IntegerField()
    text = TextField(null=True)
    label = TextField(null=True)
    split = CharField(null=True)  # train / validation / test, from a split column
    flagged = BooleanField(default=False)
    removed = BooleanField(default=False)
    source = TextField(null=True)  # file and line the row came from
    assigned_split = CharField(null=True)  # the split given at its first freeze, kept from then on

    class Meta:
        indexes = ((("project", "position"), False),)


class DraftEdit(Base):
    """One undoable edit of the draft: a JSON list of (row id, field, before, after)."""

    project = ForeignKeyField(Project, backref="draft_edits", on_delete="CASCADE")
    seq = IntegerField()
    description = TextField()
    changes = TextField()  # JSON
    undone = BooleanField(default=False)
    at = TextField()

    class Meta:
        indexes = ((("project", "seq"), True),)


class DatasetSnapshot(Base):
    project = ForeignKeyField(Project, backref="snapshots", on_delete="CASCADE")
    hash = CharField()  # content hash of the rows (sha256 of the Parquet blob's logical content)
    blob = CharField()  # Parquet blob holding the rows
    rows = IntegerField()
    label_counts = TextField(default="{}")  # JSON {label: count}
    split_counts = TextField(default="{}")  # JSON {split: count}
    meta = TextField(default="{}")  # JSON: split seed/fractions, source files, augmentation
    created_at = TextField()


class Run(Base):
    project = ForeignKeyField(Project, backref="runs", on_delete="CASCADE")
    status = CharField(default="queued")  # queued running paused completed failed cancelled interrupted
    config = TextField(default="{}")  # JSON TrainConfig
    snapshot = ForeignKeyField(DatasetSnapshot, null=True, on_delete="SET NULL")
    parent_version = IntegerField(null=True)  # ModelVersion id training continued from
    seed = IntegerField(null=True)
    device = CharField(null=True)
    precision = CharField(null=True)
    started_at = TextField(null=True)
    ended_at = TextField(null=True)
    wall_s = FloatField(null=True)
    train_samples_per_second = FloatField(null=True)
    last_step = IntegerField(default=0)
    checkpoint_dir = TextField(null=True)
    log_path = TextField(null=True)
    error = TextField(null=True)
    metrics = TextField(default="{}")  # JSON summary
    environment = TextField(default="{}")  # JSON library versions, host
    pid = IntegerField(null=True)


class MetricPoint(Base):
    run = ForeignKeyField(Run, backref="points", on_delete="CASCADE")
    step = IntegerField()
    epoch = FloatField(null=True)
    name = CharField()  # loss, learning_rate, eval_loss, eval_accuracy, ...
    value = FloatField()

    class Meta:
        indexes = ((("run", "name", "step"), False),)


class ModelVersion(Base):
    project = ForeignKeyField(Project, backref="versions", on_delete="CASCADE")
    number = IntegerField()
    run = ForeignKeyField(Run, null=True, on_delete="SET NULL")
    parent = ForeignKeyField("self", null=True, backref="children", on_delete="SET NULL")
    base_model = TextField()
    snapshot = ForeignKeyField(DatasetSnapshot, null=True, on_delete="SET NULL")
    manifest_blob = CharField()  # JSON blob {tensors: {name: {blob, dtype, shape}}, files: {...}}
    predictions_blob = CharField(null=True)  # JSON blob: per-example test predictions
    config = TextField(default="{}")
    metrics = TextField(default="{}")
    labels = TextField(default="[]")  # JSON list, index = class id
    weights_tensors = IntegerField(default=0)
    weights_bytes = IntegerField(default=0)
    notes = TextField(default="")
    tags = TextField(default="[]")
    created_at = TextField()
    trashed_at = TextField(null=True)
    damaged = TextField(null=True)  # reason, when verify found a missing/corrupt blob
    weights_new_bytes = IntegerField(default=0)  # bytes this version added to blobs/ (the rest were shared)
    purged_at = TextField(null=True)  # set by purge: the row stays as a tombstone, its blobs are freed

    class Meta:
        indexes = ((("project", "number"), True),)


class Alias(Base):
    project = ForeignKeyField(Project, backref="aliases", on_delete="CASCADE")
    name = CharField()
    version = ForeignKeyField(ModelVersion, on_delete="RESTRICT")

    class Meta:
        indexes = ((("project", "name"), True),)


class AliasEvent(Base):
    project = ForeignKeyField(Project, on_delete="CASCADE")
    alias = CharField()
    from_version = ForeignKeyField(ModelVersion, null=True, on_delete="RESTRICT", backref="+")
    to_version = ForeignKeyField(ModelVersion, on_delete="RESTRICT", backref="+")
    at = TextField()
    reason = TextField(default="")
    user = TextField(default="")


class AuditEvent(Base):
    at = TextField()
    user = TextField(default="")
    action = CharField()
    target = TextField(default="")
    detail = TextField(default="{}")


class Evaluation(Base):
    """Cached evaluation of a version on a snapshot's test split."""

    version = ForeignKeyField(ModelVersion, on_delete="CASCADE")
    snapshot = ForeignKeyField(DatasetSnapshot, on_delete="CASCADE")
    result_blob = CharField()
    created_at = TextField()

    class Meta:
        indexes = ((("version", "snapshot"), True),)


class Setting(Base):
    key = CharField(unique=True)
    value = TextField(default="null")  # JSON


ALL_MODELS = [
    Project,
    Label,
    DraftRow,
    DraftEdit,
    DatasetSnapshot,
    Run,
    MetricPoint,
    ModelVersion,
    Alias,
    AliasEvent,
    AuditEvent,
    Evaluation,
    Setting,
]
