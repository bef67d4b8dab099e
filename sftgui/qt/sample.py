""""Try a sample project": a ready-made data set with the bundled model, imported in a worker.

One sample per task: the support tickets (text), and for every other task the data its
`Task.sample()` ships (the shapes pictures, the support replies for a language model). The
welcome page shows one card per sample; opening one lands on the Data page with the rows shown."""

from __future__ import annotations

from dataclasses import dataclass

from sftgui.qt import dialogs
from sftgui.qt.progress import ProgressDialog

SAMPLE_NAME = "Support tickets (sample)"
TEXT_TASK = "text-classification"


@dataclass(frozen=True)
class Sample:
    task: str
    title: str  # the card's heading
    description: str  # what it is and where it leads
    icon: str  # resources/icons/<icon>.svg


def sample_csv():
    from sftgui.resources import SAMPLE_CSV, resource_path

    return resource_path(SAMPLE_CSV)


def sample_labels() -> list[str]:
    """The labels the sample data really has, read from the file (about 700 rows: a few milliseconds)."""
    import csv

    with open(sample_csv(), newline="", encoding="utf-8") as f:
        return sorted({(row.get("label") or "").strip() for row in csv.DictReader(f)} - {""})


def _and(words: list[str]) -> str:
    return ", ".join(words[:-1]) + f" and {words[-1]}" if len(words) > 1 else "".join(words)


def describe_sample() -> str:
    return f"Support tickets sorted into {_and(sample_labels())}, with the bundled model."


def _shape_labels(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def samples() -> list[Sample]:
    """The samples this build can open, the text one first (read from the tasks and the files)."""
    from sftgui.core.tasks import registry

    out = [Sample(TEXT_TASK, "Try the sample project",
                  f"{describe_sample()} Opens its examples, ready to train in a few clicks.", "steps/data")]
    for name in registry.names():
        if name == TEXT_TASK:
            continue
        shipped = registry.get_task(name).sample()
        if not shipped:
            continue
        _project, path = shipped
        if path.is_dir():  # pictures, one folder per label
            labels = _shape_labels(path)
            text = (f"Pictures of {_and(labels)}, sorted by shape with the bundled picture model. "
                    "Opens the pictures, ready to train.")
            out.append(Sample(name, "Try the pictures sample", text, "steps/label"))
        else:  # a language model learning to answer
            text = ("Customer questions with the replies a support team wrote: teach the small bundled "
                    "language model to answer in that tone. Opens the examples, ready to train.")
            out.append(Sample(name, "Try the answers sample", text, "steps/try"))
    return out


def _project_name(task_name: str) -> str:
    from sftgui.core.tasks import registry

    if task_name == TEXT_TASK:
        return SAMPLE_NAME
    return registry.get_task(task_name).sample()[0]  # the same project `sftgui demo --task` uses


def make_sample_project(ws, state=None, task: str = TEXT_TASK):
    """Create (or reuse) a sample project with its data imported; returns the Project."""
    from sftgui.core import projects
    from sftgui.core.data import importers
    from sftgui.core.tasks import registry

    name = _project_name(task)
    existing = [p for p in projects.list_projects(ws) if p.name == name]
    if existing:
        return existing[0]
    progress = state.progress if state is not None else None
    if task == TEXT_TASK:
        project = projects.create_project(ws, name, task, base_model="bundled")
        importers.import_file(ws, project, sample_csv(), text_col="text", label_col="label", progress=progress)
    else:
        project = projects.create_project(ws, name, task)
        importers.import_file(ws, project, registry.get_task(task).sample()[1], progress=progress)
    return project


def start_sample_project(ctx, parent, task: str = TEXT_TASK) -> None:
    dialog = ProgressDialog("Setting up the sample project…", parent)

    def done(project):
        dialog.finish()
        ctx.set_project(project)
        ctx.dataChanged.emit()
        ctx.showStep.emit("data")  # the Data page shows the sample's rows and says what comes next

    def failed(exc, details):
        dialog.finish()
        dialogs.show_exception(parent, exc, doing="setting up the sample project", log_dir=ctx.log_dir)

    job = ctx.jobs.start("import", lambda state: make_sample_project(ctx.ws, state, task),
                         on_progress=dialog.set_progress, on_done=done, on_failed=failed)
    dialog.cancelled.connect(lambda: ctx.jobs.cancel(job.slot))
    dialog.open()
