"""Which class runs a cluster's jobs: the ``backend`` kind of the site file -> a backend class."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aifhub.backends.base import ComputeBackend
from aifhub.backends.local import LocalBackend
from aifhub.backends.slurm import SlurmBackend, SlurmRestBackend

BACKEND_CLASSES: Mapping[str, type[LocalBackend | SlurmBackend | SlurmRestBackend]] = {
    "local": LocalBackend,
    "slurm": SlurmBackend,
    "slurmrest": SlurmRestBackend,
}


def make_backend(kind: str, settings: Mapping[str, Any]) -> ComputeBackend:
    """Build a backend by kind: ``"local"``, ``"slurm"`` or ``"slurmrest"``."""
    cls = BACKEND_CLASSES.get(kind)
    if cls is None:
        expected = ", ".join(repr(k) for k in BACKEND_CLASSES)
        raise ValueError(f"unknown backend kind {kind!r}; expected one of {expected}")
    return cls.from_settings(settings)
