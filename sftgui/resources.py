"""The one place that finds sftgui's files that are not Python: icons, the desktop entry, the
sample data set (the repository's top-level `resources/` folder).

Where that folder is depends on how sftgui was installed:
- a wheel (`pip install .`) and the desktop bundle carry it inside the package as
  `sftgui/_resources` (setup.py maps the folder there; packaging/linux/sftgui.spec copies it);
- a source checkout, an editable install (`pip install -e .`) or PYTHONPATH read the folder itself,
  next to the `sftgui/` package.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
# A file every copy of the folder has, so a stray "resources" folder beside site-packages is never taken.
_MARKER = "sftgui.desktop"

SAMPLE_CSV = "sample/support_tickets.csv"
APP_ICON = "icons/sftgui.svg"


@lru_cache(maxsize=1)
def resources_root() -> Path:
    """The folder holding the resources (installed copy first, then the source checkout's)."""
    for candidate in (_PACKAGE / "_resources", _PACKAGE.parent / "resources"):
        if (candidate / _MARKER).is_file():
            return candidate
    from sftgui.errors import UserError

    raise UserError("sftgui's resource files (icons, sample data) are missing from this installation; "
                    "reinstall sftgui.")


def resource_path(name: str) -> Path:
    """The path of one resource, e.g. `resource_path("sample/support_tickets.csv")`."""
    path = resources_root() / name
    if not path.exists():
        from sftgui.errors import UserError

        raise UserError(f"sftgui's resource file {name} is missing from this installation ({path}); "
                        "reinstall sftgui.")
    return path
