"""The hook through which the catalogue checks and stages a job's datasets and models.

The compute domain does not know the catalogue. When a job names inputs, submission calls
``check_inputs`` (inside the submission transaction: raise an ``AppError`` such as
``GrantRequired`` to refuse, before anything is reserved or reaches a backend), and the
worker calls ``stage_inputs`` right before handing the job to the backend (it returns the
``StagedInput`` list the backend mounts or exports).

The catalogue fills the hook by providing a module ``aifhub.catalog.jobs`` with::

    async def check_inputs(session, *, user, project, inputs: list[InputRef]) -> None
    async def stage_inputs(session, *, job: Job, var_dir: Path) -> list[StagedInput]

Without that module, a job that names inputs is refused with a message saying so; jobs
without inputs never touch the hook.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.backends.base import StagedInput
from aifhub.compute.errors import InputNotAllowed

if TYPE_CHECKING:
    from aifhub.compute.models import Job
    from aifhub.identity.models import Project, User
    from aifhub.schemas.compute import InputRef

HOOK_MODULE = "aifhub.catalog.jobs"


def _hook() -> ModuleType | None:
    try:
        return importlib.import_module(HOOK_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != HOOK_MODULE:
            raise
        return None


async def check_inputs(
    session: AsyncSession, *, user: User, project: Project, inputs: list[InputRef]
) -> None:
    """Refuse the submission unless the catalogue grants every input to this user/project."""
    if not inputs:
        return
    hook = _hook()
    if hook is None:
        names = ", ".join(f"{i.kind} {i.ref}" for i in inputs)
        raise InputNotAllowed(
            f"This platform has no catalogue installed, so inputs ({names}) cannot be used; "
            "submit without inputs."
        )
    await hook.check_inputs(session, user=user, project=project, inputs=inputs)


async def stage_inputs(session: AsyncSession, *, job: Job, var_dir: Path) -> list[StagedInput]:
    """Where the job's inputs are, for the backend (empty when it names none)."""
    if not job.inputs:
        return []
    hook = _hook()
    if hook is None:
        raise InputNotAllowed("The catalogue is not installed: the job's inputs cannot be staged.")
    staged: list[StagedInput] = await hook.stage_inputs(session, job=job, var_dir=var_dir)
    return staged
