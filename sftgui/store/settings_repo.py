"""Workspace settings: JSON values by key in the `Setting` table."""

from __future__ import annotations

import json

from sftgui.store.models import Setting, db


def get_setting(key: str, default=None):
    row = Setting.get_or_none(Setting.key == key)
    return default if row is None else json.loads(row.value)


def set_setting(key: str, value) -> None:
    with db.atomic():
        Setting.insert(key=key, value=json.dumps(value)).on_conflict(
            conflict_target=[Setting.key], update={Setting.value: json.dumps(value)}).execute()
