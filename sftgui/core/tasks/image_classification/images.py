"""Reading image files safely and keeping them in the workspace's blob store.

An image is stored once, by the sha256 of its file bytes (the blob store's own address), so the
same photo in two projects or two imports takes its bytes once. A draft row's input holds that
digest; a snapshot names it. Decoding applies the EXIF orientation (a phone's portrait photo is
upright), takes the first frame of an animated GIF and turns every colour mode into RGB.
Pillow's decompression-bomb limit stays on: such a file is refused with a sentence, like a
truncated, empty or non-image file.
"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

from sftgui.errors import UserError

EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff")
FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "GIF", "TIFF", "MPO")  # MPO: a JPEG some cameras write
MAX_FILE_BYTES = 64 << 20
THUMB = 96  # thumbnail side in pixels (the grid's icon size)
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class BadImage(UserError):
    """One file that is not a readable image; the sentence names it."""


def is_digest(value) -> bool:
    return isinstance(value, str) and bool(_DIGEST.match(value))


def _pil():
    from PIL import Image, ImageFile

    ImageFile.LOAD_TRUNCATED_IMAGES = False  # a truncated file is an error, not a half-grey picture
    return Image


def decode(data: bytes, name: str = "the image"):
    """A PIL image in RGB, upright, first frame; BadImage (a sentence naming `name`) otherwise."""
    Image = _pil()
    from PIL import ImageOps, UnidentifiedImageError

    if not data:
        raise BadImage(f"{name} is empty (0 bytes); remove it or replace it with the real picture.")
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.format not in FORMATS:
                raise BadImage(f"{name} is a {im.format} image; sftgui reads JPEG, PNG, WebP, BMP, GIF and TIFF.")
            im.seek(0)  # first frame of an animation
            im.load()
            upright = ImageOps.exif_transpose(im)
            return _rgb(upright)
    except Image.DecompressionBombError:
        raise BadImage(f"{name} is too large to open safely (more pixels than Pillow's limit of "
                       f"{Image.MAX_IMAGE_PIXELS:,}); shrink it first.") from None
    except UnidentifiedImageError:
        raise BadImage(f"{name} is not an image sftgui can read (JPEG, PNG, WebP, BMP, GIF or TIFF).") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise BadImage(f"{name} cannot be read: it looks truncated or damaged ({exc}).") from None


def _rgb(im):
    if im.mode == "RGB":
        return im
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        Image = _pil()
        im = im.convert("RGBA")
        white = Image.new("RGB", im.size, (255, 255, 255))  # transparent parts show as white
        white.paste(im, mask=im.getchannel("A"))
        return white
    if im.mode.startswith("I;16") or im.mode in ("I", "F"):  # 16-bit and float TIFFs: scale to 8 bits
        import numpy as np

        a = np.asarray(im, dtype=np.float64)
        lo, hi = float(a.min()), float(a.max())
        a = (a - lo) / (hi - lo) * 255 if hi > lo else np.zeros_like(a)
        return _pil().fromarray(a.astype("uint8")).convert("RGB")
    return im.convert("RGB")


def probe(data: bytes) -> dict:
    """What the quality report needs from a file without keeping the pixels: width, height, mode."""
    Image = _pil()
    with Image.open(io.BytesIO(data)) as im:
        from PIL import ImageOps

        w, h = im.size
        orientation = im.getexif().get(0x0112, 1) if hasattr(im, "getexif") else 1
        if orientation in (5, 6, 7, 8):
            w, h = h, w
        return {"width": w, "height": h, "mode": im.mode, "format": im.format}


def read_file(path: Path, name: str | None = None) -> bytes:
    """The bytes of one image file (a regular file, bounded in size), checked by decoding it."""
    path = Path(path)
    name = name or path.name
    if path.is_symlink() or not path.is_file():
        raise BadImage(f"{name} is not a regular file; sftgui imports plain image files only.")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise BadImage(f"{name} is {size / 2**20:.0f} MB, more than the {MAX_FILE_BYTES >> 20} MB sftgui reads "
                       "per image; shrink it first.")
    data = path.read_bytes()
    decode(data, name)
    return data


def store(ws, data: bytes) -> str:
    """The blob digest of an image's bytes (written once; the same bytes are found again)."""
    return ws.blobs.put_bytes(data)


def load(ws, digest: str):
    """The RGB picture a row names (the blob is verified by hash on read)."""
    return decode(ws.blobs.get_bytes(digest), f"image {digest[:12]}")


def open_input(ws, value):
    """A PIL image from what predict is given: a blob digest, a file path or a PIL image."""
    if hasattr(value, "convert") and hasattr(value, "size"):
        return _rgb(value)
    if is_digest(value) and ws is not None and ws.blobs.has(value):
        return load(ws, value)
    path = Path(str(value)).expanduser()
    if not path.exists():
        raise UserError(f"There is no image file {value}; check the path.")
    return decode(read_file(path), path.name)


def thumbnail_path(ws, digest: str) -> Path:
    """A small PNG of the image under the workspace cache (made on first use)."""
    folder = Path(ws.cache) / "thumbs" / digest[:2]
    out = folder / f"{digest}-{THUMB}.png"
    if out.is_file():
        return out
    im = load(ws, digest)
    im.thumbnail((THUMB, THUMB))
    folder.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".{hashlib.sha256(out.name.encode()).hexdigest()[:6]}.tmp")
    im.save(tmp, format="PNG")
    tmp.replace(out)  # complete or absent
    return out
