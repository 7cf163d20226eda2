"""The compute domain.

This package is the domain's public face: other domains import only what it exports here
(the shared kernel, identity's models, excepted). Inside the domain, modules import each other
by their own path.
"""

from __future__ import annotations

from aifhub.compute.inputs import JobInputs, UsableInput
from aifhub.compute.models import Job

__all__ = [
    "Job",
    "JobInputs",
    "UsableInput",
]
