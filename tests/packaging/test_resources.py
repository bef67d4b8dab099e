"""resources/: found through one function from a checkout and from an installed wheel; the icons and
the desktop entry the desktop bundle ships are complete and valid."""

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from sftgui.qt.icons import APP_ICON_SIZES
from sftgui.qt.main_window import KEYS
from sftgui.resources import SAMPLE_CSV, resource_path, resources_root
from sftgui.errors import UserError

ROOT = Path(__file__).resolve().parents[2]


def test_a_checkout_reads_the_top_level_folder():
    assert resources_root() == ROOT / "resources"
    assert resource_path(SAMPLE_CSV).read_text(encoding="utf-8").startswith("text,label")


def test_a_missing_resource_is_a_sentence_not_a_traceback():
    with pytest.raises(UserError, match="icons/nope.svg is missing.*reinstall sftgui"):
        resource_path("icons/nope.svg")


def test_every_step_has_an_icon_and_every_svg_parses():
    for key in KEYS:
        assert resource_path(f"icons/steps/{key}.svg").is_file(), key
    svgs = list((ROOT / "resources" / "icons").rglob("*.svg"))
    assert len(svgs) >= len(KEYS) + 8
    for svg in svgs:
        assert ET.parse(svg).getroot().tag.endswith("svg"), svg


def test_app_icon_pngs_have_the_sizes_desktops_use():
    from PySide6.QtGui import QImage

    for size in APP_ICON_SIZES:
        image = QImage(str(resource_path(f"icons/hicolor/{size}x{size}/apps/sftgui.png")))
        assert (image.width(), image.height()) == (size, size)
        assert image.pixelColor(size // 2, size // 2).alpha() == 255  # drawn, not blank


@pytest.mark.skipif(not shutil.which("desktop-file-validate"), reason="desktop-file-validate not installed "
                    "(apt-get install desktop-file-utils)")
def test_desktop_entry_validates(tmp_path):
    entry = resource_path("sftgui.desktop")
    assert subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True).stdout == ""
    # ... and so does the one the bundle's install script writes, with the full path in Exec.
    app = tmp_path / "unpacked folder"
    (app / "icons").mkdir(parents=True)
    shutil.copy(entry, app / "sftgui.desktop")
    shutil.copy(ROOT / "packaging" / "linux" / "install-desktop-entry.sh", app)
    shutil.copytree(ROOT / "resources" / "icons" / "hicolor", app / "icons", dirs_exist_ok=True)
    (app / "sftgui").write_text("#!/bin/sh\n")
    (app / "sftgui").chmod(0o755)
    home = tmp_path / "home"
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    subprocess.run(["sh", str(app / "install-desktop-entry.sh")], env=env, check=True, capture_output=True)
    installed = home / ".local/share/applications/sftgui.desktop"
    assert f'Exec="{app}/sftgui" gui' in installed.read_text()
    assert subprocess.run(["desktop-file-validate", str(installed)], capture_output=True, text=True).stdout == ""
    assert (home / ".local/share/icons/hicolor/256x256/apps/sftgui.png").is_file()
    subprocess.run(["sh", str(app / "install-desktop-entry.sh"), "--remove"], env=env, check=True, capture_output=True)
    assert not installed.exists()


def test_an_installed_wheel_carries_the_resources_inside_the_package(tmp_path):
    """A non-editable install finds them in sftgui/_resources, away from any checkout."""
    # Built as pip builds it for a user (an isolated build environment with pyproject's setuptools).
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "wheel"), str(ROOT)],
                   check=True, capture_output=True, cwd=tmp_path)
    (wheel,) = (tmp_path / "wheel").glob("sftgui-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for name in ("sftgui/_resources/sftgui.desktop", "sftgui/_resources/sample/support_tickets.csv",
                 "sftgui/_resources/icons/steps/train.svg", "sftgui/_resources/icons/hicolor/512x512/apps/sftgui.png"):
        assert name in names
    assert not [n for n in names if n.endswith(".pyc") or n.startswith("resources/")]
    zipfile.ZipFile(wheel).extractall(tmp_path / "site")
    out = subprocess.run(
        [sys.executable, "-c", "from sftgui.resources import resource_path; print(resource_path('sample/support_tickets.csv'))"],
        env={**os.environ, "PYTHONPATH": str(tmp_path / "site")}, cwd=tmp_path, capture_output=True, text=True, check=True)
    assert Path(out.stdout.strip()) == tmp_path / "site" / "sftgui" / "_resources" / "sample" / "support_tickets.csv"
