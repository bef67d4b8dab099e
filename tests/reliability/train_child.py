"""Train the tiny model in a process the test will kill (what `sftgui train` runs).

    python -m tests.reliability.train_child WORKSPACE PROJECT MODEL_DIR [tear-checkpoint N]
Prints "started" when the Trainer begins. With `tear-checkpoint N`, the N-th checkpoint's
optimizer file is half written when the process SIGKILLs itself, as a crash mid-save leaves it.
"""

from __future__ import annotations

import os
import signal
import sys


def main() -> None:
    ws_path, project, model_dir, *extra = sys.argv[1:]
    import torch
    from transformers import TrainerCallback

    from sftgui.core.data.snapshots import freeze_snapshot
    from sftgui.core.training import engine
    from sftgui.store.db import open_workspace
    from tests.core.training.conftest import tiny_config

    if extra and extra[0] == "tear-checkpoint":
        tear_at, saves, real_save = int(extra[1]), [], torch.save

        def save(obj, f, *args, **kwargs):
            if str(f).endswith("optimizer.pt"):
                saves.append(f)
                if len(saves) == tear_at:
                    real_save(obj, f, *args, **kwargs)
                    os.truncate(f, os.path.getsize(f) // 2)
                    os.kill(os.getpid(), signal.SIGKILL)
            return real_save(obj, f, *args, **kwargs)

        torch.save = save

    class Started(TrainerCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            print("started", flush=True)

    ws = open_workspace(ws_path)
    engine.run(tiny_config(project, freeze_snapshot(ws, project), model_dir, epochs=2), callbacks=[Started()])
    print("finished", flush=True)


if __name__ == "__main__":
    main()
