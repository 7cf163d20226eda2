"""The translatable label of every enum value shown to people, declared next to each enum.

Each module of this package declares `LABELS: dict[type[StrEnum], dict[StrEnum, str]]`: for
each of its enums, every member's English label marked with `N_` (so `pybabel extract` finds
it). `aifhub.core.i18n` gathers them and the pages' `label` filter translates them.
"""

from __future__ import annotations

import importlib
import pkgutil
from enum import StrEnum
from types import ModuleType

Labels = dict[type[StrEnum], dict[StrEnum, str]]


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


def enum_modules() -> list[ModuleType]:
    """Every module of this package that declares `LABELS` (one per domain)."""
    package = importlib.import_module(__package__ or "aifhub.schemas.enums")
    found = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        if isinstance(getattr(module, "LABELS", None), dict):
            found.append(module)
    return found


def all_labels() -> Labels:
    """The label tables of every domain's enums."""
    merged: Labels = {}
    for module in enum_modules():
        merged.update(module.LABELS)
    return merged
