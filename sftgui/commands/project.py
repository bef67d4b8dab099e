"""`sftgui project create|list`."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("project", help="create and list projects")
    psub = p.add_subparsers(dest="project_command", metavar="ACTION")
    c = psub.add_parser("create", help="create a project")
    c.add_argument("name")
    from sftgui.core.tasks import registry

    c.add_argument("--task", default=registry.DEFAULT_TASK,
                   help=f"the task (default: {registry.DEFAULT_TASK})")
    c.add_argument("--model", help="default base model for new runs (bundled, a folder or a hub id)")
    c.set_defaults(func=_create)
    ls = psub.add_parser("list", help="list the projects")
    ls.add_argument("--json", action="store_true", help="print JSON: [{name, task, versions}]")
    ls.set_defaults(func=_list)


def _create(args, ctx) -> int:
    from sftgui.core.projects import create_project

    project = create_project(ctx.workspace(), args.name, args.task, base_model=args.model)
    ctx.say(f"Created project {project.name!r} ({project.task}).")
    return 0


def _list(args, ctx) -> int:
    from sftgui.core.projects import list_projects, version_counts

    ws = ctx.workspace(readonly=(ctx.workspace_path / "sftgui.db").exists())
    counts = version_counts(ws)
    items = [{"name": p.name, "task": p.task, "versions": counts.get(p.id, 0), "id": p.id} for p in list_projects(ws)]
    if ctx.json:
        ctx.emit_json(items)
    elif not items:
        ctx.say("No projects yet; create one with 'sftgui project create NAME'.")
    else:
        for it in items:
            ctx.say(f"{it['name']}\t{it['task']}\t{it['versions']} version(s)")
    return 0
