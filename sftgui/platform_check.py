"""Can the desktop app open a window here? Checked before Qt starts, because Qt without a display or
without its platform plugin's libraries aborts the process (SIGABRT) with no sentence a person can act on.

This module never imports Qt: it reads the environment and looks at the xcb platform plugin's
libraries with `ldd` (and `ctypes.util.find_library` for the one Qt loads at run time).
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from ctypes.util import find_library
from pathlib import Path

# Qt platforms that need no display server
HEADLESS = {"offscreen", "minimal", "minimalegl", "vnc", "linuxfb", "eglfs", "vkkhrdisplay"}
# library -> (Debian/Ubuntu package, Fedora package), for what the xcb plugin links against
PACKAGES = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-xinerama.so.0": ("libxcb-xinerama0", "libxcb"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-glx.so.0": ("libxcb-glx0", "libxcb"),
    "libxcb-xinput.so.0": ("libxcb-xinput0", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libSM.so.6": ("libsm6", "libSM"),
    "libICE.so.6": ("libice6", "libICE"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libGLX.so.0": ("libglx0", "libglvnd-glx"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
}
# Qt 6.5+ opens this one itself when the plugin starts, so ldd never lists it
LOADED_AT_RUN_TIME = ("libxcb-cursor.so.0",)
NO_DISPLAY = ("sftgui cannot open its window: no display was found (neither DISPLAY nor WAYLAND_DISPLAY is set). "
              "Start it from a desktop session, under a virtual display ('xvfb-run sftgui'), or use the command "
              "line ('sftgui --help'), which needs no display.")


def platforms_dir(env=None) -> Path | None:
    """Where Qt looks for its platform plugins: $QT_QPA_PLATFORM_PLUGIN_PATH (Qt's own variable),
    else PySide6's own folder (found without importing it)."""
    env = os.environ if env is None else env
    if env.get("QT_QPA_PLATFORM_PLUGIN_PATH"):
        return Path(env["QT_QPA_PLATFORM_PLUGIN_PATH"])
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.origin:
        return None
    return Path(spec.origin).parent / "Qt" / "plugins" / "platforms"


def not_found_in_ldd(output: str) -> list[str]:
    """The libraries `ldd` reports as "not found", once each, in its order."""
    return list(dict.fromkeys(re.findall(r"^\s*(\S+)\s+=>\s+not found", output, re.MULTILINE)))


def _ldd(path: Path) -> str | None:
    try:
        return subprocess.run(["ldd", str(path)], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return None


def _installed(soname: str) -> bool:
    """`libxcb-cursor.so.0` -> find_library("xcb-cursor")."""
    stem = re.sub(r"^lib|\.so.*$", "", soname)
    return find_library(stem) is not None


def missing_xcb_libraries(folder: Path | None) -> list[str]:
    """The libraries the xcb plugin in `folder` needs that this system lacks ([] when all are there,
    or when the plugin is not there to check)."""
    plugin = folder / "libqxcb.so" if folder else None
    if plugin is None or not plugin.is_file():
        return []
    report = _ldd(plugin)
    missing = not_found_in_ldd(report) if report is not None else []
    for soname in LOADED_AT_RUN_TIME:
        if soname not in missing and not _installed(soname):
            missing.append(soname)
    return missing


def install_sentence(missing: list[str]) -> str:
    debian = [PACKAGES.get(m, (m,))[0] for m in missing]
    fedora = [PACKAGES[m][1] for m in missing if m in PACKAGES]
    fedora = list(dict.fromkeys(fedora)) or debian
    return (f"sftgui cannot open its window: Qt's display plugin (xcb) needs {', '.join(missing)}, which "
            f"{'is' if len(missing) == 1 else 'are'} not installed. Install "
            f"{'it' if len(missing) == 1 else 'them'} with 'sudo apt install {' '.join(dict.fromkeys(debian))}' "
            f"(Debian, Ubuntu) or 'sudo dnf install {' '.join(fedora)}' (Fedora), then start sftgui again; the "
            "command line ('sftgui --help') works without them.")


def display_problem(env=None) -> str | None:
    """None when Qt can open a window here, else the sentence saying why not and what to do."""
    env = os.environ if env is None else env
    if not sys.platform.startswith("linux"):
        return None  # Windows and macOS always have their platform plugin and a screen
    platform = env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip().lower()
    if platform in HEADLESS:
        return None
    x, wayland = env.get("DISPLAY", "").strip(), env.get("WAYLAND_DISPLAY", "").strip()
    if platform.startswith("wayland"):
        return None if wayland else NO_DISPLAY
    if not x and not wayland:
        return NO_DISPLAY
    if x and (platform == "xcb" or (not platform and not wayland)):
        missing = missing_xcb_libraries(platforms_dir(env))
        if missing:
            return install_sentence(missing)
        if not x_server_answers(x):
            return (f"sftgui cannot open its window: no display server answers at DISPLAY={x}. Start it from a "
                    "desktop session, under a virtual display ('xvfb-run sftgui'), or use the command line "
                    "('sftgui --help').")
    return None


def x_server_answers(display: str) -> bool:
    """For a local display (":N"), whether an X server listens on its socket (the file, or Linux's
    abstract one); a remote display (host:N, ssh -X) is left to Qt."""
    import socket

    m = re.fullmatch(r"(?:unix)?:(\d+)(?:\.\d+)?", display)
    if not m:
        return True
    path = f"/tmp/.X11-unix/X{m.group(1)}"
    for address in (path, "\0" + path):
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(2)
                s.connect(address)
                return True
        except OSError:
            continue
    return False
