"""Compute pages: jobs (list, submit form, detail with a live log tail), project usage."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from aifhub import access, resources
from aifhub.compute import jobs as job_service
from aifhub.compute import network, service
from aifhub.compute.inputs import JobInputsDep
from aifhub.core.db import DbSession, attempt
from aifhub.core.errors import AppError
from aifhub.core.infra import get_infra
from aifhub.core.validation import Id
from aifhub.identity import CsrfForm, PageUser, StaffPageUser
from aifhub.identity.models import User
from aifhub.schemas.compute import JobCreate
from aifhub.web.forms import error_for, form_values, validate
from aifhub.web.render import gettext, page_locale, redirect, render

router = APIRouter(include_in_schema=False)

LOG_TAIL = 64 * 1024


async def _form_choices(db: DbSession, user: User) -> dict[str, Any]:
    projects = await service.member_project_slugs(db, user)
    parts = [p for p, _ in await resources.list_usable_partitions(db)]
    partitions = [
        (
            p.key,
            f"{p.key} ({p.accelerator or 'CPU'}, x{p.charge_factor}, ≤ {p.max_time_s // 3600} h)",
        )
        for p in parts
    ]
    return {"project_choices": [(s, s) for s in projects], "partition_choices": partitions}


@router.get("/jobs")
async def jobs_page(request: Request, db: DbSession, user: PageUser, offset: int = 0) -> Any:
    """My jobs and those of projects I manage."""
    rows, total = await job_service.list_jobs(db, user, limit=50, offset=max(offset, 0))
    items = await job_service.job_reads(db, rows)
    page = {"total": total, "limit": 50, "offset": offset}
    return render(request, "compute/jobs.html", jobs=items, page=page)


@router.get("/jobs/new")
async def new_job_page(request: Request, db: DbSession, user: PageUser) -> Any:
    """The submission form."""
    values = {"time_limit": "1h", "gpus": "0", "nodes": "1", "ntasks": "1", "cpus_per_task": "1"}
    values.update({k: v for k, v in request.query_params.items() if k in ("project", "partition")})
    return render(
        request,
        "compute/job_new.html",
        errors={},
        values=values,
        **await _form_choices(db, user),
    )


def _env_lines(text: str) -> dict[str, str]:
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.strip():
            key, sep, value = line.partition("=")
            if not sep:
                raise ValueError(f"'{line.strip()}' is not NAME=VALUE")
            env[key.strip()] = value
    return env


@router.post("/jobs/new")
async def submit_job_form(
    request: Request, db: DbSession, user: PageUser, form: CsrfForm, job_inputs: JobInputsDep
) -> Any:
    """Submit a job from the form."""
    values = form_values(form)
    data_in = dict(values)
    errors: dict[str, str] = {}
    try:
        data_in["env"] = _env_lines(str(values.get("env", "")))
    except ValueError as exc:
        errors["env"] = str(exc)
    job = None
    if not errors:
        data, errors = validate(request, JobCreate, data_in)
        if data is not None:
            try:
                async with attempt(db):
                    job, _ = await service.submit_job(db, user, data=data, job_inputs=job_inputs)
            except AppError as exc:
                errors = error_for(exc)
    if errors or job is None:
        return render(
            request, "compute/job_new.html", status_code=422, errors=errors, values=values,
            **await _form_choices(db, user),
        )  # fmt: skip
    return redirect(request, f"/jobs/{job.id}", gettext(request, "Job submitted."))


@router.get("/jobs/{job_id}")
async def job_page(request: Request, db: DbSession, user: PageUser, job_id: Id) -> Any:
    """One job: its state, timings, charge and a live tail of its output."""
    job = (await job_service.job_reads(db, [await job_service.get_job(db, user, job_id)]))[0]
    return render(
        request, "compute/job_detail.html", job=job, log=await _tail(request, db, user, job_id)
    )


async def _tail(request: Request, db: DbSession, user: Any, job_id: Id) -> Any:
    log = await job_service.read_job_log(
        db, user, job_id, backends=get_infra(request).backends, offset=0
    )
    text = log.text[-LOG_TAIL:]
    return {"text": text, "finished": log.finished}


@router.get("/jobs/{job_id}/log-tail")
async def job_log_fragment(request: Request, db: DbSession, user: PageUser, job_id: Id) -> Any:
    """The log block (HTMX polls it every 2 s until the job has ended)."""
    job = (await job_service.job_reads(db, [await job_service.get_job(db, user, job_id)]))[0]
    return render(
        request, "compute/_job_log.html", job=job, log=await _tail(request, db, user, job_id)
    )


@router.post("/jobs/{job_id}/cancel")
async def cancel_job_form(
    request: Request, db: DbSession, user: PageUser, form: CsrfForm, job_id: Id
) -> Any:
    """Cancel a job from its page."""
    await job_service.cancel_job(db, user, job_id)
    return redirect(request, f"/jobs/{job_id}", gettext(request, "Cancellation requested."))


@router.get("/projects/{slug}/usage")
async def usage_page(request: Request, db: DbSession, user: PageUser, slug: str) -> HTMLResponse:
    """A project's hours: balances, a plot of use against the grant, daily rows, CSV."""
    report = await access.project_usage(db, user, slug)
    # Built from numbers, translated texts and escaped names only.
    plot = Markup(access.usage_svg(report, locale=page_locale(request)))
    return render(request, "compute/usage.html", report=report, plot=plot)


async def _network_page(
    request: Request, db: DbSession, status: int = 200, **ctx: Any
) -> HTMLResponse:
    grants = await network.list_grants(db, include_revoked=True)
    choices = await network.network_targets(db)
    ctx.setdefault("errors", {})
    ctx.setdefault("values", {})
    return render(
        request, "compute/network_grants.html", status_code=status, grants=grants,
        target_choices=[(t, t) for t in choices], **ctx,
    )  # fmt: skip


@router.get("/staff/network")
async def network_page(request: Request, db: DbSession, user: StaffPageUser) -> HTMLResponse:
    """Projects whose jobs may use the network, with grant and revoke controls (staff)."""
    return await _network_page(request, db)


@router.post("/staff/network")
async def grant_network_form(
    request: Request, db: DbSession, user: StaffPageUser, form: CsrfForm
) -> Any:
    """Grant a project network on a cluster or partition (staff admins)."""
    values = form_values(form)
    try:
        async with attempt(db):
            await network.grant_network(
                db,
                user,
                project_slug=str(values.get("project", "")).strip(),
                target=str(values.get("target", "")).strip(),
                note=str(values.get("note", ""))[:300],
            )
    except AppError as exc:
        errors = error_for(exc)
        return await _network_page(request, db, 422, errors=errors, values=values)
    return redirect(request, "/staff/network", gettext(request, "Network granted."))


@router.post("/staff/network/{grant_id}/revoke")
async def revoke_network_form(
    request: Request, db: DbSession, user: StaffPageUser, form: CsrfForm, grant_id: Id
) -> Any:
    """Revoke a network grant (staff admins)."""
    try:
        async with attempt(db):
            await network.revoke_network(db, user, grant_id=grant_id)
    except AppError as exc:
        return await _network_page(request, db, 422, errors={"__all__": exc.detail})
    return redirect(request, "/staff/network", gettext(request, "Network grant revoked."))
