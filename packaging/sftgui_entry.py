"""The desktop bundle's entry point: the same `sftgui` command as the installed one."""

import multiprocessing

if __name__ == "__main__":
    # A frozen app started as a child by multiprocessing (spawn on Windows and macOS) must stop
    # here instead of running the command line again.
    multiprocessing.freeze_support()
    from sftgui.cli import main

    raise SystemExit(main())
