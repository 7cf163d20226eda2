"""Job inputs (datasets, models): the `JobInputs` protocol another domain implements.

The compute domain does not know the catalogue. When a job names inputs, submission calls
``check_inputs`` (inside the submission transaction: raise an ``AppError`` such as
``GrantRequired`` to refuse, before anything is reserved or reaches a backend), and the
worker calls ``stage_inputs`` right before handing the job to the backend (it returns the
``StagedInput`` list the backend mounts or exports). The submission form asks
``usable_inputs`` what a project may name (its picker offers only those).

The catalogue provides the implementation through its module object
(``aifhub.catalog.module``: ``provides=(CatalogJobInputs(),)``); the app and the worker
pass it down (`JobInputsDep` for requests, `TaskContext.provides` for tasks). Without one,
a job that names inputs is refused with a message saying so; jobs without inputs never
touch it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Protocol, runtime_checkable

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.backends.base import StagedInput
from aifhub.compute.errors import InputNotAllowed
from aifhub.core.infra import Infrastructure

if TYPE_CHECKING:
    from aifhub.compute.models import Job
    from aifhub.identity.models import Project, User
    from aifhub.schemas.compute import InputRef


@dataclass(frozen=True)
class UsableInput:
    """A dataset or model version a project may name as a job input now."""

    kind: str  # "dataset" or "model", as InputRef.kind
    ref: str  # "<asset>@<version>", as InputRef.ref
    name: str  # the asset's display name

    @property
    def value(self) -> str:
        """The form's value for it: "<kind>:<ref>"."""
        return f"{self.kind}:{self.ref}"


@runtime_checkable
class JobInputs(Protocol):
    """Checks a job's inputs at submission and stages them before the job starts."""

    async def check_inputs(
        self, session: AsyncSession, *, user: User, project: Project, inputs: list[InputRef]
    ) -> None:
        """Refuse (raise an AppError) unless every input is granted to this user/project."""
        ...

    async def stage_inputs(
        self, session: AsyncSession, *, job: Job, infra: Infrastructure
    ) -> list[StagedInput]:
        """Re-check a queued job's inputs, stage them (from `infra.store`, under
        `infra.paths.job_inputs`) and say where the backend finds them."""
        ...

    async def usable_inputs(
        self, session: AsyncSession, *, user: User, project: Project
    ) -> list[UsableInput]:
        """Every published version the project may use now (what check_inputs would accept)."""
        ...


def job_inputs_in(provided: Iterable[object]) -> JobInputs | None:
    """The `JobInputs` implementation among what the domains provide (None: no catalogue)."""
    return next((p for p in provided if isinstance(p, JobInputs)), None)


def request_job_inputs(request: Request) -> JobInputs | None:
    """The app's `JobInputs`, from the domains it was assembled from."""
    return job_inputs_in(request.app.state.assembly.provides)


JobInputsDep = Annotated[JobInputs | None, Depends(request_job_inputs)]


async def check_inputs(
    job_inputs: JobInputs | None,
    session: AsyncSession,
    *,
    user: User,
    project: Project,
    inputs: list[InputRef],
) -> None:
    """Refuse the submission unless the catalogue grants every input to this user/project."""
    if not inputs:
        return
    if job_inputs is None:
        names = ", ".join(f"{i.kind} {i.ref}" for i in inputs)
        raise InputNotAllowed(
            f"This platform has no catalogue installed, so inputs ({names}) cannot be used; "
            "submit without inputs."
        )
    await job_inputs.check_inputs(session, user=user, project=project, inputs=inputs)


async def stage_inputs(
    job_inputs: JobInputs | None, session: AsyncSession, *, job: Job, infra: Infrastructure
) -> list[StagedInput]:
    """Where the job's inputs are, for the backend (empty when it names none)."""
    if not job.inputs:
        return []
    if job_inputs is None:
        raise InputNotAllowed("The catalogue is not installed: the job's inputs cannot be staged.")
    return await job_inputs.stage_inputs(session, job=job, infra=infra)


async def usable_inputs(
    job_inputs: JobInputs | None, session: AsyncSession, *, user: User, project: Project
) -> list[UsableInput]:
    """What the project may name as inputs (nothing where no catalogue is installed)."""
    if job_inputs is None:
        return []
    return await job_inputs.usable_inputs(session, user=user, project=project)
