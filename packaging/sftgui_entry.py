"""The desktop bundle's entry point: the same `sftgui` command as the installed one."""

import multiprocessing
import os
import sys

if __name__ == "__main__":
    # A frozen app started as a child by multiprocessing (spawn on Windows and macOS) must stop
    # here instead of running the command line again.
    multiprocessing.freeze_support()
    if sys.platform.startswith("linux") and not any(os.environ.get(k) for k in ("LC_ALL", "LC_CTYPE", "LANG")):
        # Started with no locale at all (a bare launcher, cron, env -i): Qt would warn on stderr and
        # switch to UTF-8 anyway; say UTF-8 from the start (Python already reads and writes UTF-8 then).
        os.environ["LC_CTYPE"] = "C.UTF-8"
    from sftgui.cli import main

    raise SystemExit(main())
