"""Image task fixtures: an image project in a real workspace, a tiny ResNet folder, picture files."""

from __future__ import annotations

import io

import pytest


@pytest.fixture(scope="session")
def tiny_image_model_dir(tmp_path_factory):
    from tests.tiny_image import make_tiny_image_model_dir

    return make_tiny_image_model_dir(tmp_path_factory.mktemp("tiny-resnet"), num_labels=4)


@pytest.fixture(scope="session")
def shapes_dir(tmp_path_factory):
    """4 label subfolders (circle, square, triangle, star) of 12 small PNGs each."""
    from tests.tiny_image import make_shapes_folder

    return make_shapes_folder(tmp_path_factory.mktemp("shapes") / "shapes", per_class=12)


@pytest.fixture
def pics(ws):
    from sftgui.core.projects import create_project

    return create_project(ws, "pics", "image-classification")


def picture(colour=(200, 30, 30), size=(40, 30), mode="RGB"):
    from PIL import Image, ImageDraw

    im = Image.new("RGB", size, (240, 240, 240))
    ImageDraw.Draw(im).rectangle([size[0] // 4, size[1] // 4, size[0] // 2, size[1] // 2], fill=colour)
    return im.convert(mode) if mode != "RGB" else im


def encoded(im, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()
