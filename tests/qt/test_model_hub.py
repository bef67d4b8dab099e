"""Model page: the Hugging Face id field. Offline for real (HF_HUB_OFFLINE=1 in tests); the online
path with snapshot_download replaced by a function that returns a prepared folder (no network here)."""

from __future__ import annotations

import json
import shutil

import pytest
from PySide6.QtWidgets import QMessageBox

from sftgui.core import hub
from sftgui.errors import UserError


def _dialog_text(window) -> str | None:
    box = window.findChild(QMessageBox, "errorDialog")
    return box.text() if box is not None and box.isVisible() else None


def test_core_download_refuses_offline():
    with pytest.raises(hub.HubOffline) as err:
        hub.download_model("distilbert-base-uncased")
    assert err.value.model_id == "distilbert-base-uncased" and "offline" in str(err.value)


def test_offline_says_so_plainly(window, qtbot):
    page = window.page("model")
    window.show_step("model")
    page.hub_id.setText("distilbert-base-uncased")
    page.hub_button.click()
    expected = ("You are offline: distilbert-base-uncased can't be downloaded; models already in the Hugging Face "
                "cache are listed above.")
    qtbot.waitUntil(lambda: _dialog_text(window) is not None, timeout=5000)
    assert _dialog_text(window) == expected
    assert not window.ctx.jobs.is_running("hub") and page.hub_button.isEnabled()
    assert window.ctx.chosen_model is None


@pytest.fixture
def online(monkeypatch, tmp_path):
    """The hub is 'reachable': snapshot_download copies `source[0]` into a fake cache and reports 3 files."""
    import huggingface_hub

    from sftgui.core import catalog

    monkeypatch.setattr(catalog, "hub_offline", lambda: False)
    source, calls = [None], []

    def fake_snapshot_download(repo_id, *, allow_patterns=None, tqdm_class=None, **kw):
        calls.append({"repo_id": repo_id, "allow_patterns": allow_patterns})
        bar = tqdm_class(total=3, desc="Fetching 3 files")
        for _ in range(3):
            bar.update(1)
        bar.close()
        dest = tmp_path / "hub-cache" / repo_id.replace("/", "--")
        shutil.copytree(source[0], dest, dirs_exist_ok=True)
        return str(dest)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot_download)
    return source, calls


def test_download_checks_and_chooses_the_model(window, qtbot, tiny_model_dir, online):
    source, calls = online
    source[0] = tiny_model_dir
    page = window.page("model")
    window.show_step("model")
    seen = []
    page.hub_id.setText("someone/tiny-bert")
    page.hub_button.click()
    assert page.hub_progress.isVisible() and page.hub_cancel.isVisible()
    page.hub_progress.valueChanged.connect(seen.append)
    qtbot.waitUntil(lambda: not window.ctx.jobs.is_running("hub"), timeout=20_000)
    assert _dialog_text(window) is None
    assert window.ctx.chosen_model == "someone/tiny-bert" and "Downloaded someone/tiny-bert" in page.status_label.text()
    assert calls[0]["allow_patterns"] == hub.ALLOW_PATTERNS
    assert "*.safetensors" in calls[0]["allow_patterns"]
    assert not any(p.endswith((".bin", ".py", ".pt", ".pkl")) for p in calls[0]["allow_patterns"])
    assert not page.hub_progress.isVisible() and page.hub_button.isEnabled()


@pytest.mark.parametrize("kind", ["pickle", "custom_code"])
def test_downloaded_folder_goes_through_the_safety_checks(window, qtbot, tiny_model_dir, online, tmp_path, kind):
    source, _ = online
    bad = tmp_path / "bad"
    shutil.copytree(tiny_model_dir, bad)
    if kind == "pickle":  # what a pickle-only repo looks like after the safetensors-only download
        for f in bad.glob("*.safetensors"):
            f.unlink()
    else:
        config = json.loads((bad / "config.json").read_text())
        config["auto_map"] = {"AutoModel": "modeling_evil.EvilModel"}
        (bad / "config.json").write_text(json.dumps(config))
    source[0] = bad
    page = window.page("model")
    page.hub_id.setText("someone/bad-model")
    page.hub_button.click()
    qtbot.waitUntil(lambda: _dialog_text(window) is not None, timeout=20_000)
    text = _dialog_text(window)
    assert text.startswith("someone/bad-model cannot be used:")
    assert ("safetensors" in text) if kind == "pickle" else ("own Python code" in text)
    assert window.ctx.chosen_model is None and page.hub_button.isEnabled()


def test_cancel_stops_the_download(monkeypatch):
    from sftgui.core import catalog

    import huggingface_hub

    monkeypatch.setattr(catalog, "hub_offline", lambda: False)

    def slow(repo_id, *, tqdm_class=None, **kw):
        bar = tqdm_class(total=10)
        for _ in range(10):
            bar.update(1)
        raise AssertionError("should have been cancelled")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", slow)
    fractions = []
    with pytest.raises(UserError, match="cancelled"):
        hub.download_model("x/y", progress=lambda f, m: fractions.append(f), cancelled=lambda: len(fractions) >= 3)
    assert len(fractions) == 3
