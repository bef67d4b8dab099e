import json

from sftgui.cli import main


def _run(capsys, ws_dir, *argv):
    code = main(["--workspace", str(ws_dir), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_create_and_list(tmp_path, capsys):
    ws = tmp_path / "ws"
    assert _run(capsys, ws, "project", "list", "--json") == (0, "[]\n", "")
    assert _run(capsys, ws, "project", "create", "tickets", "--task", "text-classification")[0] == 0
    code, out, _ = _run(capsys, ws, "project", "list", "--json")
    assert code == 0 and json.loads(out) == [{"name": "tickets", "task": "text-classification", "versions": 0, "id": 1}]
    code, out, _ = _run(capsys, ws, "project", "list")
    assert "tickets" in out and "0 version(s)" in out


def test_bad_names_exit_2(tmp_path, capsys):
    ws = tmp_path / "ws"
    _run(capsys, ws, "project", "create", "tickets")
    for name, words in (("tickets", "already exists"), ("a@b", "'@'"), ("", "needs a name")):
        code, out, err = _run(capsys, ws, "project", "create", name)
        assert code == 2 and words in err and len(err.strip().splitlines()) == 1
    code, _, err = _run(capsys, ws, "project", "create", "x", "--task", "translation")
    assert code == 2 and "Unknown task" in err
