"""Packages for the wheel: sftgui itself, and the top-level resources/ folder as sftgui/_resources.

Everything else is in pyproject.toml. This file exists only because pyproject.toml cannot add a
folder outside the package to it (sftgui/resources.py finds the folder in both places).
"""

from pathlib import Path

from setuptools import find_packages, setup

RESOURCES = Path(__file__).resolve().parent / "resources"
# Each sub-folder of resources/ is listed, so setuptools ships its files as package data.
resource_packages = ["sftgui._resources"] + [
    "sftgui._resources." + ".".join(p.relative_to(RESOURCES).parts)
    for p in sorted(RESOURCES.rglob("*")) if p.is_dir() and p.name != "__pycache__"
]

setup(
    packages=[*find_packages(include=["sftgui", "sftgui.*"]), *resource_packages],
    package_dir={"sftgui._resources": "resources"},
    package_data={name: ["*"] for name in resource_packages},
    exclude_package_data={name: ["*.pyc"] for name in resource_packages},
)
