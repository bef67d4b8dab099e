"""The image findings of the quality report. The generic report already finds exact duplicates
(the same digest twice), the same picture under two labels, missing labels, imbalance and
train/test leakage by digest; these are the checks only pictures have: near duplicates by a
perceptual hash (the `imagehash` library), files that no longer decode, very small pictures,
extreme aspect ratios and a mix of colour modes."""

from __future__ import annotations

from collections import Counter, defaultdict

from sftgui.core.tasks.image_classification import images

EXAMPLES = 5
MIN_SIDE = 32  # pixels: below this a picture says little at any model's input size
MAX_ASPECT = 4.0  # long side / short side
NEAR_BITS = 4  # perceptual hashes this close (of 64 bits) are "the same picture, re-saved or resized"


def image_findings(ws, rows) -> list:
    """Findings for draft rows `(id, digest, label, split, flagged)`."""
    import imagehash

    from sftgui.core.data.quality import Finding

    info, hashes, unreadable = {}, {}, []
    for r in rows:
        digest = r[1]
        if not images.is_digest(digest) or digest in info:
            continue
        try:
            data = ws.blobs.get_bytes(digest)
            info[digest] = images.probe(data)
            hashes[digest] = imagehash.phash(images.decode(data))
        except Exception as exc:  # noqa: BLE001 - any failure to read is the finding
            unreadable.append({"row": r[0], "image": digest, "why": str(exc)[:200]})
    first_row = {}
    for r in rows:
        first_row.setdefault(r[1], r)
    out = []
    if unreadable:
        out.append(Finding("unreadable_images", len(unreadable), f"{len(unreadable)} picture(s) cannot be read any more.",
                           unreadable[:EXAMPLES]))
    near = _near_groups(hashes)
    if near:
        n = sum(len(g) - 1 for g in near)
        out.append(Finding("near_duplicate_images", n,
                           f"{n} picture(s) look the same as another one (resized, re-saved or lightly edited).",
                           [{"rows": [first_row[d][0] for d in g], "labels": [first_row[d][2] for d in g]}
                            for g in near[:EXAMPLES]]))
        mixed = [g for g in near if len({first_row[d][2] for d in g if first_row[d][2] is not None}) > 1]
        if mixed:
            out.append(Finding("near_duplicate_conflicts", len(mixed),
                               f"{len(mixed)} group(s) of pictures that look the same have different labels.",
                               [{"rows": [first_row[d][0] for d in g], "labels": [first_row[d][2] for d in g]}
                                for g in mixed[:EXAMPLES]]))
    tiny = [d for d, i in info.items() if min(i["width"], i["height"]) < MIN_SIDE]
    if tiny:
        out.append(Finding("tiny_images", len(tiny), f"{len(tiny)} picture(s) are smaller than {MIN_SIDE} pixels "
                           "on a side; the model sees little in them.",
                           [{"row": first_row[d][0], "size": f"{info[d]['width']}x{info[d]['height']}"}
                            for d in tiny[:EXAMPLES]]))
    wide = [d for d, i in info.items() if max(i["width"], i["height"]) / max(1, min(i["width"], i["height"])) > MAX_ASPECT]
    if wide:
        out.append(Finding("extreme_aspect", len(wide), f"{len(wide)} picture(s) are more than {MAX_ASPECT:.0f} times "
                           "as long as they are wide; resizing to a square squeezes them.",
                           [{"row": first_row[d][0], "size": f"{info[d]['width']}x{info[d]['height']}"}
                            for d in wide[:EXAMPLES]]))
    modes = Counter(_mode_kind(i["mode"]) for i in info.values())
    if len(modes) > 1:
        out.append(Finding("mixed_colour_modes", len(modes),
                           "The pictures mix colour kinds (" + ", ".join(f"{n} {k}" for k, n in modes.most_common())
                           + "); all are turned into colour (RGB) for the model, so grey pictures look "
                           "different from colour ones of the same thing.", [dict(modes)]))
    return out


def _mode_kind(mode: str) -> str:
    if mode in ("1", "L", "LA", "I", "I;16", "F") or mode.startswith("I;16"):
        return "grey"
    if mode in ("RGBA", "PA"):
        return "with transparency"
    return "colour"


def _near_groups(hashes: dict) -> list[list[str]]:
    """Groups of distinct digests whose perceptual hashes are within NEAR_BITS (union-find on a
    bucketed search: pictures are compared only within the same 16-bit prefix of their hash, or
    all pairs for a few thousand)."""
    keys = list(hashes)
    parent = {k: k for k in keys}

    def find(k):
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    buckets = defaultdict(list)
    if len(keys) <= 4000:
        buckets[0] = keys
    else:
        for k in keys:
            buckets[str(hashes[k])[:4]].append(k)
    for group in buckets.values():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                if hashes[a] - hashes[b] <= NEAR_BITS:
                    parent[find(a)] = find(b)
    groups = defaultdict(list)
    for k in keys:
        groups[find(k)].append(k)
    return [g for g in groups.values() if len(g) > 1]
