"""The registry of attribution methods: every module in this folder is one method and holds one `METHOD` record.

Adding a method is adding one file here (copy `saliency.py` for a gradient method, `layercam.py` for a CAM
one): the CLI's choices, the Attributions page's list and settings, the sanity check, "Where does this class
live?" and the method × network tests all read this registry.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from cnnviz.errors import CnnvizError
from cnnviz.explain.method import Method


@cache
def _registry() -> dict[str, Method]:
    found: list[Method] = []
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            found.append(importlib.import_module(f"{__name__}.{info.name}").METHOD)
    return {m.name: m for m in sorted(found, key=lambda m: m.order)}


def names() -> tuple[str, ...]:
    """Every method's name, in the order lists show them."""
    return tuple(_registry())


def every() -> tuple[Method, ...]:
    return tuple(_registry().values())


def method(name: str) -> Method:
    """The record of `name`; an unknown name is refused in words, with the known ones."""
    try:
        return _registry()[name]
    except KeyError:
        raise CnnvizError(f"unknown method '{name}': use one of {', '.join(names())}") from None


def title(name: str) -> str:
    return method(name).title
