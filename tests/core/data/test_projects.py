import pytest

from sftgui.core import projects
from sftgui.errors import UserError


def test_create_get_list(ws):
    p = projects.create_project(ws, "tickets")
    assert p.task == "text-classification"
    assert projects.get_project(ws, "tickets") == p
    assert projects.get_project(ws, p.id) == p
    assert projects.get_project(ws, str(p.id)) == p
    projects.create_project(ws, "alpha")
    assert [x.name for x in projects.list_projects(ws)] == ["alpha", "tickets"]


@pytest.mark.parametrize("name, words", [("", "needs a name"), ("  ", "needs a name"), ("a@b", "'@'")])
def test_bad_names_are_refused(ws, name, words):
    with pytest.raises(UserError, match=words):
        projects.create_project(ws, name)
    assert projects.list_projects(ws) == []


def test_name_is_unique_and_task_known(ws):
    projects.create_project(ws, "tickets")
    with pytest.raises(UserError, match="already exists"):
        projects.create_project(ws, "tickets")
    with pytest.raises(UserError, match="Unknown task"):
        projects.create_project(ws, "other", task="translation")


def test_unknown_project_lists_the_existing_ones(ws):
    with pytest.raises(UserError, match="no projects yet"):
        projects.get_project(ws, "nope")
    projects.create_project(ws, "tickets")
    projects.create_project(ws, "reviews")
    with pytest.raises(UserError, match="the projects are: reviews, tickets"):
        projects.get_project(ws, "nope")
