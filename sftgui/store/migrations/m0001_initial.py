"""Schema version 1: every table of the first release."""

from __future__ import annotations


def apply(db) -> None:
    # Created from the models as they stood at version 1; later migrations alter with SQL.
    from sftgui.store.models import ALL_MODELS

    db.create_tables(ALL_MODELS, safe=False)
