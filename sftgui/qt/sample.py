""""Try the sample project": the bundled model and the support-tickets data, imported in a worker."""

from __future__ import annotations

from sftgui.qt import dialogs
from sftgui.qt.progress import ProgressDialog

SAMPLE_NAME = "Support tickets (sample)"


def sample_csv():
    from sftgui.resources import SAMPLE_CSV, resource_path

    return resource_path(SAMPLE_CSV)


def sample_labels() -> list[str]:
    """The labels the sample data really has, read from the file (648 rows: a few milliseconds)."""
    import csv

    with open(sample_csv(), newline="", encoding="utf-8") as f:
        return sorted({(row.get("label") or "").strip() for row in csv.DictReader(f)} - {""})


def describe_sample() -> str:
    labels = sample_labels()
    named = ", ".join(labels[:-1]) + f" and {labels[-1]}" if len(labels) > 1 else "".join(labels)
    return f"Support tickets sorted into {named}, with the bundled model."


def make_sample_project(ws, state=None):
    """Create (or reuse) the sample project with its data imported; returns the Project."""
    from sftgui.core import projects
    from sftgui.core.data import importers

    existing = [p for p in projects.list_projects(ws) if p.name == SAMPLE_NAME]
    if existing:
        return existing[0]
    project = projects.create_project(ws, SAMPLE_NAME, "text-classification", base_model="bundled")
    progress = state.progress if state is not None else None
    importers.import_file(ws, project, sample_csv(), text_col="text", label_col="label", progress=progress)
    return project


def start_sample_project(ctx, parent) -> None:
    dialog = ProgressDialog("Setting up the sample project…", parent)

    def done(project):
        dialog.finish()
        ctx.set_project(project)
        ctx.dataChanged.emit()
        ctx.showStep.emit("data")

    def failed(exc, details):
        dialog.finish()
        dialogs.show_exception(parent, exc, doing="setting up the sample project", log_dir=ctx.log_dir)

    job = ctx.jobs.start("import", lambda state: make_sample_project(ctx.ws, state),
                         on_progress=dialog.set_progress, on_done=done, on_failed=failed)
    dialog.cancelled.connect(lambda: ctx.jobs.cancel(job.slot))
    dialog.open()
