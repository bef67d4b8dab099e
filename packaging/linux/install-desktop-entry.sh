#!/bin/sh
# Put sftgui in your desktop's application menu (for you only; no administrator rights needed).
# Run it from the unpacked sftgui folder, again after moving the folder. Undo: --remove.
set -eu
HERE="$(cd "$(dirname "$0")" && pwd)"
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
ENTRY="$DATA/applications/sftgui.desktop"

if [ "${1:-}" = "--remove" ]; then
    rm -f "$ENTRY"
    for icon in "$DATA"/icons/hicolor/*/apps/sftgui.png; do rm -f "$icon"; done
    echo "Removed sftgui from the application menu."
    exit 0
fi

for dir in "$HERE"/icons/*x*; do
    size="$(basename "$dir")"
    mkdir -p "$DATA/icons/hicolor/$size/apps"
    cp "$dir/apps/sftgui.png" "$DATA/icons/hicolor/$size/apps/sftgui.png"
done
mkdir -p "$DATA/applications"
# The entry names this folder's executable by its full path (quoted, in case the path has spaces).
sed -e "s|^Exec=sftgui|Exec=\"$HERE/sftgui\"|" -e "s|^TryExec=sftgui|TryExec=$HERE/sftgui|" \
    "$HERE/sftgui.desktop" > "$ENTRY"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$DATA/applications" || true
echo "sftgui is now in your application menu ($ENTRY)."
