"""The AI Factory Compute API at /compute-api/v1, for the `ai-factory-sdk` client unchanged.

The same API answers at /compute-api/v1/projects/<slug>: a base URL that names the project
which pays, for a user of several projects (the SDK sends no header of one's choosing).
HTTP only: who calls, which project pays, the units and the four states are decided in
`compute.aif_service`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request

from aifhub.compute import aif_service
from aifhub.compute.inputs import JobInputsDep
from aifhub.core.db import DbSession
from aifhub.core.errors import InvalidInput
from aifhub.core.infra import Infra
from aifhub.core.validation import Id
from aifhub.identity.models import User
from aifhub.schemas.aif_api import (
    AifCancelResponse,
    AifContainerJobRequest,
    AifJobDetail,
    AifJobList,
    AifJobRequest,
    AifSubmitResponse,
)

router = APIRouter(tags=["ai-factory-compute-api"])
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Unix seconds up to the year 9999: a larger number names no moment a job can have.
UnixTime = Annotated[int | None, Query(ge=0, le=253_402_300_799)]


async def aif_user(
    request: Request,
    db: DbSession,
    name: Annotated[str | None, Header(alias="X-SLURM-USER-NAME", max_length=320)] = None,
    token: Annotated[str | None, Header(alias="X-SLURM-USER-TOKEN", max_length=200)] = None,
) -> User:
    """The caller named by the SDK's two headers (401 with what to send otherwise)."""
    return await aif_service.authenticate(
        db, name=name, token=token, write=request.method not in SAFE_METHODS
    )


AifUser = Annotated[User, Depends(aif_user)]


def chosen_project(
    request: Request,
    header: Annotated[
        str | None,
        Header(
            alias=aif_service.PROJECT_HEADER,
            max_length=64,
            description="The project that pays (needed when you are in several)",
        ),
    ] = None,
) -> str | None:
    """The project the base URL (`.../projects/<slug>`) or X-AIFHUB-PROJECT names, if any."""
    scoped = request.path_params.get("project")
    return str(scoped) if scoped else header


ChosenProject = Annotated[str | None, Depends(chosen_project)]


@router.post("/jobs", operation_id="aif_submit_job")
async def submit_job(
    db: DbSession,
    user: AifUser,
    infra: Infra,
    body: AifJobRequest,
    job_inputs: JobInputsDep,
    project: ChosenProject,
) -> AifSubmitResponse:
    """Submit a batch job; time_limit is in minutes, the project defaults to one's only one."""
    job = await aif_service.submit(db, user, body, project_header=project, job_inputs=job_inputs)
    url = aif_service.logs_url(infra.settings.base_url, job.id)
    return AifSubmitResponse(job_id=job.id, output_dir=job.workdir, logs_url=url)


@router.post("/jobs/container", operation_id="aif_submit_container")
async def submit_container(user: AifUser, body: AifContainerJobRequest) -> AifSubmitResponse:
    """Container jobs: refused (422) until the platform runs containers."""
    raise aif_service.refuse_container()


@router.get("/jobs", operation_id="aif_list_jobs")
async def list_jobs(
    db: DbSession,
    user: AifUser,
    project: ChosenProject,
    start_time: UnixTime = None,
    end_time: UnixTime = None,
    update_time: UnixTime = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    flags: Annotated[str | None, Query(max_length=100)] = None,
) -> AifJobList:
    """Jobs one may see (of the chosen project, if any), newest first, alive between
    start_time and end_time (Unix seconds)."""
    if flags:
        raise InvalidInput("flags are not supported here; leave them out.", field="flags")
    rows, total = await aif_service.list_jobs(
        db,
        user,
        limit=limit,
        offset=offset,
        start_time=start_time,
        end_time=end_time,
        update_time=update_time,
        project=project,
    )
    items = [aif_service.list_item(job) for job in rows]
    return AifJobList(jobs=items, total=total, limit=limit, offset=offset)


@router.get("/jobs/{job_id}", operation_id="aif_read_job")
async def read_job(db: DbSession, user: AifUser, infra: Infra, job_id: Id) -> AifJobDetail:
    """One job: its state among four, Unix times, duration in seconds."""
    return await aif_service.job_detail(db, user, job_id, site_url=infra.settings.base_url)


@router.delete("/jobs/{job_id}", operation_id="aif_cancel_job")
async def cancel_job(db: DbSession, user: AifUser, job_id: Id) -> AifCancelResponse:
    """Cancel a job (at once while queued, else on the cluster within seconds)."""
    return AifCancelResponse(message=await aif_service.cancel(db, user, job_id))


# Mounted at the root (compute's module.py): the API, then the same API for one project.
routes = APIRouter()
routes.include_router(router, prefix=aif_service.BASE_PATH)
routes.include_router(
    router, prefix=aif_service.BASE_PATH + "/projects/{project}", include_in_schema=False
)
