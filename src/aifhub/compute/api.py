"""Compute REST endpoints under /api/v1: HTTP only, the rules live in the services."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response

from aifhub import access
from aifhub.compute import jobs as job_service
from aifhub.compute import logins, network, service
from aifhub.compute.inputs import JobInputsDep
from aifhub.core.db import DbSession
from aifhub.core.errors import InvalidInput
from aifhub.core.infra import Infra
from aifhub.core.openapi import body_of
from aifhub.core.pagination import Pagination
from aifhub.core.validation import Id
from aifhub.identity import CurrentUser, StaffUser
from aifhub.schemas.access import ProjectUsage
from aifhub.schemas.compute import (
    ClusterLoginDecision,
    ClusterLoginMap,
    ClusterLoginRead,
    ClusterLoginSet,
    JobCreate,
    JobLog,
    JobRead,
    NetworkGrantCreate,
    NetworkGrantRead,
)
from aifhub.schemas.page import Page

router = APIRouter(tags=["compute"])
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", max_length=100, description="Retry-safe key")
]


async def _one(db: DbSession, job: object) -> JobRead:
    return (await job_service.job_reads(db, [job]))[0]  # type: ignore[list-item]


@router.post("/jobs", status_code=201)
async def submit_job(
    db: DbSession,
    user: CurrentUser,
    body: JobCreate,
    response: Response,
    job_inputs: JobInputsDep,
    key: IdempotencyKey = None,
) -> JobRead:
    """Submit a job; with an Idempotency-Key, a retry returns the first job (200)."""
    job, created = await service.submit_job(
        db, user, data=body, job_inputs=job_inputs, idempotency_key=key
    )
    if not created:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return await _one(db, job)


@router.get("/jobs")
async def list_jobs(
    db: DbSession,
    user: CurrentUser,
    page: Pagination,
    project: str | None = None,
    state: str | None = None,
) -> Page[JobRead]:
    """Jobs one may see (one's own, those of projects one manages), newest first."""
    rows, total = await job_service.list_jobs(
        db, user, limit=page.limit, offset=page.offset, project=project, state=state
    )
    items = await job_service.job_reads(db, rows)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/jobs/{job_id}")
async def read_job(db: DbSession, user: CurrentUser, infra: Infra, job_id: Id) -> JobRead:
    """One job, with why it failed or waits (`explanation`, from its stderr's end too)."""
    return await job_service.read_job(db, user, job_id, backends=infra.backends)


@router.post("/jobs/{job_id}/cancel")
async def cancel_job(db: DbSession, user: CurrentUser, job_id: Id) -> JobRead:
    """Cancel a job (at once when still queued, else on the cluster within seconds)."""
    return await _one(db, await job_service.cancel_job(db, user, job_id))


@router.get("/jobs/{job_id}/log")
async def read_log(
    db: DbSession,
    user: CurrentUser,
    infra: Infra,
    job_id: Id,
    offset: Annotated[int, Query(ge=0)] = 0,
    stream: Literal["stdout", "stderr"] = "stdout",
) -> JobLog:
    """The job's output from a byte offset; follow it by passing back `next_offset`."""
    return await job_service.read_job_log(
        db, user, job_id, backends=infra.backends, offset=offset, stream=stream
    )


@router.get(
    "/projects/{slug}/usage",
    response_model=None,
    responses={
        200: {
            "description": "The usage report (JSON), or with ?format=csv a spreadsheet",
            "model": ProjectUsage,
            "content": body_of("text/csv"),
        }
    },
)
async def project_usage(
    db: DbSession, user: CurrentUser, slug: str, format: str = "json"
) -> ProjectUsage | Response:
    """Usage per allocation, user, partition and day (`?format=csv` for a spreadsheet)."""
    if format not in ("json", "csv"):
        raise InvalidInput("format must be 'json' or 'csv'.")
    report = await access.project_usage(db, user, slug)
    if format == "csv":
        return Response(
            access.usage_csv(report),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{slug}-usage.csv"'},
        )
    return report


async def _read_one(db: DbSession, row_id: int) -> ClusterLoginRead:
    return ClusterLoginRead.model_validate(await logins.login_view(db, row_id))


@router.get("/cluster-logins")
async def my_logins(db: DbSession, user: CurrentUser) -> list[ClusterLoginRead]:
    """One's logins and login requests on the clusters, with their state."""
    return [ClusterLoginRead.model_validate(v) for v in await logins.logins_of(db, user)]


@router.put("/cluster-logins")
async def request_login(
    db: DbSession, user: CurrentUser, body: ClusterLoginSet
) -> ClusterLoginRead:
    """Request one's login on a cluster: pending until staff approve it (staff: map anyone's)."""
    if body.user_email is not None and body.user_email.lower() != user.email.lower():
        row = await logins.map_login(
            db, user, user_email=body.user_email, cluster=body.cluster, login=body.login
        )
    else:
        row = await logins.request_login(db, user, cluster=body.cluster, login=body.login)
    return await _read_one(db, row.id)


@router.get("/staff/cluster-logins")
async def staff_logins(
    db: DbSession,
    user: CurrentUser,
    status: str | None = None,
    cluster: str | None = None,
    user_email: Annotated[str | None, Query(alias="user")] = None,
    q: str | None = None,
) -> list[ClusterLoginRead]:
    """Every cluster login and request (admins): `?status=pending&cluster=jz&user=a@b&q=text`."""
    views = await logins.list_logins(
        db, user, status=status, cluster=cluster, user_email=user_email, search=q
    )
    return [ClusterLoginRead.model_validate(v) for v in views]


@router.get("/staff/cluster-logins/{login_id}")
async def staff_login(db: DbSession, user: CurrentUser, login_id: Id) -> ClusterLoginRead:
    """One cluster login or request, whoever's (admins)."""
    return ClusterLoginRead.model_validate(await logins.show_login(db, user, login_id))


@router.put("/staff/cluster-logins")
async def map_login(db: DbSession, user: CurrentUser, body: ClusterLoginMap) -> ClusterLoginRead:
    """Set a user's proven login on a cluster (admins; approved at once)."""
    row = await logins.map_login(
        db, user, user_email=body.user_email, cluster=body.cluster, login=body.login
    )
    return await _read_one(db, row.id)


@router.post("/staff/cluster-logins/{login_id}/approve")
async def approve_login(
    db: DbSession, user: CurrentUser, login_id: Id, body: ClusterLoginDecision | None = None
) -> ClusterLoginRead:
    """Approve a pending login request (admins)."""
    reason = body.reason if body else ""
    row = await logins.decide_request(db, user, login_id=login_id, approve=True, reason=reason)
    return await _read_one(db, row.id)


@router.post("/staff/cluster-logins/{login_id}/reject")
async def reject_login(
    db: DbSession, user: CurrentUser, login_id: Id, body: ClusterLoginDecision
) -> ClusterLoginRead:
    """Reject a pending login request, saying why (admins)."""
    row = await logins.decide_request(
        db, user, login_id=login_id, approve=False, reason=body.reason
    )
    return await _read_one(db, row.id)


@router.post("/staff/cluster-logins/{login_id}/revoke")
async def revoke_login(
    db: DbSession, user: CurrentUser, login_id: Id, body: ClusterLoginDecision
) -> ClusterLoginRead:
    """Revoke an approved login, saying why (admins); the next push removes it from Slurm."""
    row = await logins.revoke_login(db, user, login_id=login_id, reason=body.reason)
    return await _read_one(db, row.id)


@router.get("/admin/network-grants")
async def list_network_grants(
    db: DbSession, user: StaffUser, include_revoked: bool = False
) -> list[NetworkGrantRead]:
    """Network grants of projects (staff)."""
    return await network.list_grants(db, include_revoked=include_revoked)


@router.post("/admin/network-grants", status_code=201)
async def grant_network(
    db: DbSession, user: StaffUser, body: NetworkGrantCreate
) -> NetworkGrantRead:
    """Let a project's jobs use the network on a cluster or partition (staff)."""
    grant = await network.grant_network(
        db, user, project_slug=body.project, target=body.target, note=body.note
    )
    return next(g for g in await network.list_grants(db) if g.id == grant.id)


@router.post("/admin/network-grants/{grant_id}/revoke")
async def revoke_network(db: DbSession, user: StaffUser, grant_id: Id) -> NetworkGrantRead:
    """Revoke a network grant; queued jobs that relied on it fail at delivery (staff)."""
    grant = await network.revoke_network(db, user, grant_id=grant_id)
    return next(g for g in await network.list_grants(db, include_revoked=True) if g.id == grant.id)
