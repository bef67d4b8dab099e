"""`sftgui` (the desktop app) where it cannot open a window: no display, a Wayland platform without a
Wayland display, the xcb plugin's libraries missing, no X server at DISPLAY. Before, Qt aborted the
process (SIGABRT); now it is exit 2, one sentence on stderr saying what to install or do, the same in
the error log, and the workspace is not even created."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sftgui import platform_check as pc
from tests.reliability.conftest import ROOT

LDD_OUTPUT = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x00007f)
\tlibxcb-icccm.so.4 => not found
"""


def _start(tmp_path, env_changes: dict, patch: str = ""):
    """`sftgui --workspace W` (the GUI) in a fresh process; `patch` runs first (a simulated system)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "QT_QPA_PLATFORM_PLUGIN_PATH")}
    env.update({"PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TMPDIR": str(tmp_path), **env_changes})
    ws = tmp_path / "ws"
    code = f"{patch}\nfrom sftgui.cli import main\nraise SystemExit(main(['--workspace', {str(ws)!r}]))"
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 2, (p.returncode, p.stderr)  # not -6 (SIGABRT)
    assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr, p.stderr
    assert not ws.exists()  # nothing was created
    logs = list(tmp_path.glob("sftgui-error-*.log"))
    assert len(logs) == 1, logs
    sentence = p.stderr.strip().removeprefix("sftgui: ")
    assert sentence in logs[0].read_text()
    return sentence


def test_no_display_at_all(tmp_path, figures):
    sentence = _start(tmp_path, {})
    assert "no display was found" in sentence and "xvfb-run sftgui" in sentence
    figures["start_up_refusals"] += 1


def test_a_wayland_platform_without_a_wayland_display(tmp_path, figures):
    sentence = _start(tmp_path, {"QT_QPA_PLATFORM": "wayland", "DISPLAY": ":0"})
    assert "no display was found" in sentence
    figures["start_up_refusals"] += 1


def test_missing_xcb_libraries_are_named_with_their_packages(tmp_path, figures):
    """The plugin's libraries are looked up by a simulated ldd and library search: the sentence names
    every missing library once and the Debian/Ubuntu and Fedora packages that provide them."""
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "libqxcb.so").write_bytes(b"\x7fELF")
    patch = ("import sftgui.platform_check as p\n"
             f"p._ldd = lambda path: {LDD_OUTPUT!r}\n"
             "p._installed = lambda soname: soname != 'libxcb-cursor.so.0'\n")
    sentence = _start(tmp_path, {"DISPLAY": ":0", "QT_QPA_PLATFORM_PLUGIN_PATH": str(plugins)}, patch)
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1, libxcb-cursor.so.0" in sentence
    assert "sudo apt install libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0" in sentence
    assert "sudo dnf install xcb-util-wm xcb-util-keysyms xcb-util-cursor" in sentence
    figures["start_up_refusals"] += 1


@pytest.mark.skipif(not sys.platform.startswith("linux") or not __import__("shutil").which("gcc"),
                    reason="builds a fake plugin with gcc")
def test_a_real_plugin_with_a_missing_library_through_real_ldd(tmp_path, figures):
    """A real ELF plugin linked against a library that is then removed: the real ldd says "not found"."""
    build = tmp_path / "build"
    build.mkdir()
    (build / "stub.c").write_text("int stub(void) { return 1; }\n")
    (build / "plugin.c").write_text("int stub(void);\nint plugin(void) { return stub(); }\n")
    soname = "libsftgui-test-missing.so.1"
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", build / soname, f"-Wl,-soname,{soname}", build / "stub.c"],
                   check=True)
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", plugins / "libqxcb.so", build / "plugin.c",
                    f"-L{build}", f"-l:{soname}", "-Wl,--no-as-needed"], check=True)
    (build / soname).unlink()
    assert soname in pc.missing_xcb_libraries(plugins)
    sentence = _start(tmp_path, {"DISPLAY": ":0", "QT_QPA_PLATFORM_PLUGIN_PATH": str(plugins)})
    assert soname in sentence and "sudo apt install" in sentence
    figures["start_up_refusals"] += 1


def test_no_x_server_at_the_display(tmp_path, figures):
    plugins = tmp_path / "plugins"
    plugins.mkdir()  # no libqxcb.so here: nothing to check, so the server is what is checked
    sentence = _start(tmp_path, {"DISPLAY": ":4242", "QT_QPA_PLATFORM_PLUGIN_PATH": str(plugins)})
    assert "no display server answers at DISPLAY=:4242" in sentence
    figures["start_up_refusals"] += 1


def test_what_needs_no_check():
    for platform in ("offscreen", "minimal", "vnc", "offscreen;xcb"):
        assert pc.display_problem({"QT_QPA_PLATFORM": platform}) is None
    assert pc.display_problem({"WAYLAND_DISPLAY": "wayland-0"}) is None
    assert pc.display_problem({"QT_QPA_PLATFORM": "wayland", "WAYLAND_DISPLAY": "wayland-0"}) is None
    assert pc.display_problem({}) == pc.NO_DISPLAY
    assert pc.not_found_in_ldd(LDD_OUTPUT) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]


def test_the_check_does_not_import_qt():
    code = ("import sys, sftgui.platform_check as p; p.display_problem({'DISPLAY': ':0'}); "
            "print([m for m in ('PySide6', 'shiboken6', 'sftgui.qt') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
