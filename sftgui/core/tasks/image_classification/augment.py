"""Image augmentation applied on the fly while training: flip, rotation, crop, scale, colour
jitter and noise, written with Pillow and numpy.

Why not torchvision's transforms: torchvision from PyPI is built against one exact torch
release (the current one needs a newer torch than sftgui runs with), and installing it would
replace the torch every part of sftgui is tested with. These six operations are a few lines each.

The settings are a dict recorded in the run's and the version's config (`TrainConfig.augmentation`);
draws come from one `random.Random(seed)`, so the same seed and data give the same pictures.
"""

from __future__ import annotations

import random

from sftgui.errors import UserError

# name -> (what it means, the largest sensible value)
SETTINGS = {
    "flip": ("mirror left-right half of the time (true/false)", 1),
    "rotation": ("rotate by up to this many degrees either way", 180),
    "crop": ("keep a random part covering at least this share of each side (1 = no crop)", 1),
    "scale": ("zoom in or out by up to this fraction (0.1 = 90% to 110%)", 0.5),
    "jitter": ("change brightness, contrast and saturation by up to this fraction", 0.8),
    "noise": ("add noise with this spread (a fraction of the full brightness range)", 0.3),
}
TITLES = {"flip": "Mirror left-right", "rotation": "Turn (degrees)", "crop": "Crop (share kept)",
          "scale": "Zoom in or out", "jitter": "Colour changes", "noise": "Noise"}
DEFAULT = {"flip": True, "rotation": 10, "crop": 0.9, "scale": 0.1, "jitter": 0.2, "noise": 0.0}


def check(settings: dict | None) -> dict:
    """The settings, checked: a sentence for an unknown name or a value out of range."""
    settings = dict(settings or {})
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise UserError(f"Unknown augmentation setting(s): {', '.join(unknown)}; use {', '.join(SETTINGS)}.")
    out = {}
    for name, value in settings.items():
        if name == "flip":
            if not isinstance(value, bool):
                raise UserError("Augmentation 'flip' must be true or false.")
            out[name] = value
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UserError(f"Augmentation {name!r} must be a number.")
        top = SETTINGS[name][1]
        low = 0.3 if name == "crop" else 0
        if not low <= value <= top:
            raise UserError(f"Augmentation {name!r} must be between {low} and {top} ({SETTINGS[name][0]}).")
        out[name] = float(value)
    return out


def parse(text: str | None) -> dict:
    """'flip,rotation=15,noise=0.05' (the CLI's form); 'default' gives DEFAULT, 'none' nothing."""
    if not text or text.strip().lower() == "none":
        return {}
    if text.strip().lower() == "default":
        return dict(DEFAULT)
    out: dict = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        name, _, value = part.partition("=")
        name = name.strip().lower()
        if not value:
            out[name] = True if name == "flip" else DEFAULT.get(name, 0.0)  # a bare name: its default strength
            continue
        if name == "flip":
            out[name] = value.strip().lower() in ("1", "true", "yes", "on")
            continue
        try:
            out[name] = float(value)
        except ValueError:
            raise UserError(f"Augmentation {name!r} needs a number, not {value!r}.") from None
    return check(out)


def active(settings: dict | None) -> bool:
    s = settings or {}
    return bool(s.get("flip")) or any(float(s.get(k, 0) or 0) > 0 for k in ("rotation", "scale", "jitter", "noise")) \
        or float(s.get("crop", 1) or 1) < 1


class Augmenter:
    """Callable PIL image -> PIL image; one random stream per run (seeded)."""

    def __init__(self, settings: dict, seed: int):
        self.settings = check(settings)
        self.rng = random.Random(int(seed))

    def __call__(self, im):
        from PIL import Image, ImageEnhance, ImageOps

        s, rng = self.settings, self.rng
        w, h = im.size
        if s.get("flip") and rng.random() < 0.5:
            im = ImageOps.mirror(im)
        crop = s.get("crop", 1.0)
        if crop < 1.0:
            fw, fh = rng.uniform(crop, 1.0), rng.uniform(crop, 1.0)
            cw, ch = max(1, round(w * fw)), max(1, round(h * fh))
            x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
            im = im.crop((x, y, x + cw, y + ch)).resize((w, h), Image.BILINEAR)
        fill = tuple(int(c) for c in im.resize((1, 1), Image.BILINEAR).getpixel((0, 0)))
        if s.get("rotation", 0) > 0:
            im = im.rotate(rng.uniform(-s["rotation"], s["rotation"]), resample=Image.BILINEAR, fillcolor=fill)
        if s.get("scale", 0) > 0:
            f = rng.uniform(1 - s["scale"], 1 + s["scale"])
            sw, sh = max(1, round(w * f)), max(1, round(h * f))
            scaled = im.resize((sw, sh), Image.BILINEAR)
            canvas = Image.new("RGB", (w, h), fill)
            canvas.paste(scaled, ((w - sw) // 2, (h - sh) // 2))  # zoom out pads, zoom in is cropped
            im = canvas
        if s.get("jitter", 0) > 0:
            j = s["jitter"]
            for enhancer in (ImageEnhance.Brightness, ImageEnhance.Contrast, ImageEnhance.Color):
                im = enhancer(im).enhance(rng.uniform(1 - j, 1 + j))
        if s.get("noise", 0) > 0:
            import numpy as np

            noise_rng = np.random.default_rng(rng.getrandbits(63))
            a = np.asarray(im, dtype=np.float32) + noise_rng.normal(0, s["noise"] * 255, (h, w, 3))
            im = Image.fromarray(np.clip(a, 0, 255).astype("uint8"))
        return im


def preview(im, settings: dict, seed: int, n: int = 6) -> list:
    """`n` augmented copies of one picture, as training would draw them with this seed."""
    aug = Augmenter(settings, seed)
    return [aug(im.copy()) for _ in range(n)]


def choices() -> tuple:
    """`(name, title, meaning, low, high, default)` of each setting (`Task.augmentation_choices`)."""
    out = []
    for name, (meaning, top) in SETTINGS.items():
        if name == "flip":
            out.append((name, TITLES[name], meaning, None, None, DEFAULT[name]))
        else:
            out.append((name, TITLES[name], meaning, 0.3 if name == "crop" else 0.0, float(top),
                        float(DEFAULT[name]) if name != "noise" else 0.02))
    return tuple(out)


def describe(settings: dict | None) -> str:
    """'mirrored, turned up to 10 degrees, ...': the active settings in words."""
    s = check(settings)
    words = []
    if s.get("flip"):
        words.append("mirrored")
    if s.get("rotation", 0) > 0:
        words.append(f"turned up to {s['rotation']:g} degrees")
    if s.get("crop", 1) < 1:
        words.append(f"cropped to {s['crop']:.0%}")
    if s.get("scale", 0) > 0:
        words.append(f"zoomed by up to {s['scale']:.0%}")
    if s.get("jitter", 0) > 0:
        words.append(f"colours changed by up to {s['jitter']:.0%}")
    if s.get("noise", 0) > 0:
        words.append(f"noise of {s['noise']:.0%}")
    return ", ".join(words) or "nothing"


def preview_thumbnails(ws, digests, settings: dict, seed: int) -> list[bytes]:
    """PNG bytes of each picture's thumbnail augmented once, from one stream seeded by `seed`: the
    Train page's preview. Thumbnails (96 px), not the full pictures, keep it instant as the
    settings change; the operations are the ones training applies to the full picture."""
    import io

    from PIL import Image

    from sftgui.core.tasks.image_classification import images

    aug = Augmenter(settings, seed)
    out = []
    for digest in digests:
        with Image.open(images.thumbnail_path(ws, digest)) as im:
            picture = im.convert("RGB")
        buf = io.BytesIO()
        aug(picture).save(buf, format="PNG")
        out.append(buf.getvalue())
    return out
