from sftgui.errorlog import write_error_log


def test_error_log_goes_to_the_first_writable_folder(tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    path = write_error_log([blocked / "logs", tmp_path / "logs"], "Traceback: boom", origin="command line")
    assert path is not None and path.parent == tmp_path / "logs"
    text = path.read_text()
    assert "(command line)" in text and text.endswith("Traceback: boom")


def test_error_log_says_so_when_nothing_is_writable(tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    assert write_error_log([blocked / "logs"], "x", origin="desktop app") is None
