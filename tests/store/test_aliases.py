"""Aliases, rollback, trash/restore, notes/tags and the audit log, on a real workspace."""

from __future__ import annotations

import pytest
import torch

from sftgui.core import versions
from sftgui.errors import UserError
from sftgui.store import audit_repo


@pytest.fixture
def three(ws, project, tiny):
    """v1, v2, v3 of the project, each with a different head."""
    model, tok = tiny
    out = []
    for i in range(3):
        with torch.no_grad():
            model.classifier.bias.fill_(float(i))
        parent = out[-1].id if out else None
        out.append(versions.register_version(ws, project, model, tok, labels=["a", "b"], base_model="tiny", parent_id=parent))
    return out


def test_first_version_goes_live_and_later_ones_wait(ws, three):
    assert [v.aliases for v in versions.list_versions(ws, "tickets")] == [("production",), (), ()]


def test_rollback_moves_the_alias_and_history_keeps_every_move(ws, three):
    v1, v2, v3 = three
    versions.set_alias(ws, "tickets", "production", "v3", reason="better on new data")
    event = versions.rollback(ws, "tickets", "v2", reason="v3 misroutes refunds")
    assert (event.from_number, event.to_number, event.reason) == (3, 2, "v3 misroutes refunds")
    assert versions.resolve_version(ws, "tickets@production").id == v2.id
    history = versions.alias_history(ws, "tickets")
    assert [(e.alias, e.from_number, e.to_number) for e in history] == [
        ("production", None, 1),
        ("production", 1, 3),
        ("production", 3, 2),
    ]
    assert all(e.user and e.at for e in history)
    # nothing was deleted by the rollback
    assert [v.number for v in versions.list_versions(ws, "tickets")] == [1, 2, 3]
    assert [e.action for e in audit_repo.list_events()][:2] == ["alias.move", "alias.move"]


def test_other_aliases_are_allowed_but_not_names_that_look_like_versions(ws, three):
    versions.set_alias(ws, "tickets", "staging", "v3")
    assert versions.resolve_version(ws, "tickets@staging").number == 3
    for bad in ("v2", "7", "a@b", ""):
        with pytest.raises(UserError, match="cannot be an alias name"):
            versions.set_alias(ws, "tickets", bad, "v1")


def test_trash_is_refused_while_an_alias_points_at_the_version(ws, three):
    with pytest.raises(UserError, match="alias production points to it"):
        versions.trash_version(ws, "tickets@v1")
    versions.trash_version(ws, "tickets@v2")
    assert [v.number for v in versions.list_versions(ws, "tickets")] == [1, 3]
    assert [v.number for v in versions.list_versions(ws, "tickets", include_trashed=True)] == [1, 2, 3]
    with pytest.raises(UserError, match="in the trash"):
        versions.rollback(ws, "tickets", "v2")
    versions.restore_version(ws, "tickets@v2")
    assert versions.rollback(ws, "tickets", "v2").to_number == 2


def test_notes_and_tags_are_the_only_edits_and_each_is_audited(ws, three):
    before = versions.resolve_version(ws, "tickets@v2")
    versions.set_notes(ws, before, "trained on the March export")
    versions.tag_version(ws, before, "baseline")
    versions.tag_version(ws, before, "keep")
    after = versions.tag_version(ws, before, "keep", remove=True)
    assert (after.notes, after.tags) == ("trained on the March export", ["baseline"])
    unchanged = ("manifest_blob", "number", "metrics", "config", "weights_bytes", "created_at", "labels", "parent_id")
    assert all(getattr(after, f) == getattr(before, f) for f in unchanged)
    events = audit_repo.list_events(target="tickets@v2")
    assert [e.action for e in events] == ["version.tags", "version.tags", "version.tags", "version.notes", "version.register"]
    assert events[3].detail == {"before": "", "after": "trained on the March export"}
    with pytest.raises(UserError, match="has no tag 'nope'"):
        versions.tag_version(ws, before, "nope", remove=True)


def test_lineage_is_the_family_tree(ws, three, project, tiny):
    model, tok = tiny
    v1 = three[0]
    branch = versions.register_version(ws, project, model, tok, labels=["a", "b"], base_model="tiny", parent_id=v1.id)
    tree = [(depth, v.number) for depth, v in versions.lineage(ws, "tickets@v3")]
    assert tree == [(0, 1), (1, 2), (2, 3), (1, branch.number)]
