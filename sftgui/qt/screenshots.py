"""`make screenshots`: render every page of the real window (sample project, two short trainings of the
bundled model, plots with data, the Train page with Advanced open) into PNG files at 1280x800.
`python -m sftgui.qt.screenshots OUT_DIR`; with `QT_SCALE_FACTOR=2` the same pages at 200%."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

SIZE = (1280, 800)


def wait(app, done, timeout: float = 1800) -> None:
    end = time.monotonic() + timeout
    while not done():
        if time.monotonic() > end:
            raise TimeoutError("timed out waiting for the window")
        app.processEvents()
        time.sleep(0.01)


def main(out_dir: str) -> int:
    from sftgui.config import TrainConfig
    from sftgui.qt.app import create_app
    from sftgui.qt.heavy import load_heavy
    from sftgui.qt.main_window import MainWindow
    from sftgui.qt.pages.train import training_task
    from sftgui.qt.sample import make_sample_project

    from sftgui.core.outpath import check_output

    out = Path(out_dir)
    if not out.is_dir():
        check_output(out, folder=True, what="the screenshot folder")  # not in a workspace, not a link
        out.mkdir()
    app = create_app()
    load_heavy()
    window = MainWindow()
    window.resize(*SIZE)
    window.show()
    shots = []

    def shoot(step: str, name: str | None = None) -> None:
        window.show_step(step)
        app.processEvents()
        time.sleep(0.15)  # let the plot timers redraw
        app.processEvents()
        path = check_output(out / f"{name or step}.png", force=True, what="the screenshot file")
        tmp = path.with_name(f".{path.name}.{os.getpid()}.partial.png")
        window.grab().save(str(tmp))
        os.replace(tmp, path)  # a regular file (the guard refused links and devices), replaced whole
        shots.append(path)

    with tempfile.TemporaryDirectory() as tmp:
        window.open_workspace_at(Path(tmp) / "ws")
        shoot("welcome")
        ctx = window.ctx
        ctx.set_project(make_sample_project(ctx.ws))
        shoot("model")
        shoot("data")  # what "Try the sample project" lands on: the project's rows
        label = window.page("label")
        window.show_step("label")
        label.check_quality()
        wait(app, lambda: label.quality_button.isEnabled())
        shoot("label")
        train = window.page("train")
        # two short runs of the bundled model (80 steps; SFTGUI_SCREENSHOT_STEPS fewer on a busy machine)
        steps = int(os.environ.get("SFTGUI_SCREENSHOT_STEPS", "80"))
        for lr in (1e-4, 3e-5):
            window.show_step("train")
            train.plot.clear()  # the page's Start does this; we launch with our own short config
            config = TrainConfig.from_preset("quick", project=ctx.project.name, model="bundled", max_steps=steps,
                                             eval_steps=max(2, steps // 5), log_steps=max(1, steps // 40),
                                             learning_rate=lr, max_length=32)
            train._launch(training_task(ctx.ws, config))
            wait(app, lambda: train.job is None)
        train.settings.advanced.setChecked(True)  # the widest the page gets: nothing may be cut off
        shoot("train")
        versions = window.page("versions")
        window.show_step("versions")
        from sftgui.core import versions as stored  # the page's button asks why in a dialog

        stored.rollback(ctx.ws, ctx.project, versions.versions[0], reason="first release")
        versions.refresh()
        versions.table.selectRow(1)
        versions.details.setCurrentIndex(1)
        shoot("versions")
        versions.table.selectAll()
        versions.compare_selected()
        compare = window.page("compare")
        compare.compare()
        wait(app, lambda: compare.result is not None)
        shoot("compare")
        for tab in (2, 3):
            compare.tabs.setCurrentIndex(tab)
            shoot("compare", f"compare-{compare.tabs.tabText(tab).split()[0].lower()}")
        export = window.page("export")
        window.show_step("export")
        export.dest.setText(str(Path(tmp) / "export" / "tickets-v1"))
        shoot("export")
        tryit = window.page("try")
        window.show_step("try")
        tryit.text.setPlainText("I was charged twice for my order, please refund")
        tryit.predict()
        wait(app, lambda: tryit.last is not None)
        shoot("try")
        window.shutdown()
    for path in shots:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
