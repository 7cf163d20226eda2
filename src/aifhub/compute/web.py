"""Compute pages: jobs (list, submit form with its estimate, a live detail page with both
logs), project usage."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from markupsafe import Markup

from aifhub import access
from aifhub.compute import job_form, network, service
from aifhub.compute import jobs as job_service
from aifhub.compute.explain import STATE_LABELS, ran_over
from aifhub.compute.inputs import JobInputs, JobInputsDep
from aifhub.core.db import DbSession, attempt
from aifhub.core.errors import AppError, InvalidInput
from aifhub.core.infra import get_infra
from aifhub.core.validation import Id
from aifhub.identity import CsrfForm, PageUser, StaffPageUser
from aifhub.identity.models import User
from aifhub.schemas.compute import JobCreate, JobResources
from aifhub.web.forms import error_for, form_values, validate
from aifhub.web.render import gettext, page_locale, redirect, render

router = APIRouter(include_in_schema=False)

LOG_TAIL = 64 * 1024


@router.get("/jobs")
async def jobs_page(
    request: Request, db: DbSession, user: PageUser, offset: int = 0, project: str = ""
) -> Any:
    """My jobs and those of projects I manage; `project` keeps one project's."""
    rows, total = await job_service.list_jobs(
        db, user, limit=50, offset=max(offset, 0), project=project or None
    )
    items = await job_service.job_reads(db, rows)
    page = {"total": total, "limit": 50, "offset": offset}
    return render(request, "compute/jobs.html", jobs=items, page=page)


# What the reservation depends on: the estimate reads these fields only.
RESOURCE_FIELDS = ("project", "partition", "gpus", "nodes", "ntasks", "cpus_per_task", "time_limit")
DEFAULTS = {"time_limit": "1h", "nodes": "1", "ntasks": "1", "cpus_per_task": "1"}


async def _estimate(
    request: Request, db: DbSession, user: User, values: dict[str, Any]
) -> dict[str, Any]:
    """The estimate fragment's context: the reservation, or why the fields cannot be read."""
    fields = {k: values[k] for k in RESOURCE_FIELDS if values.get(k) not in (None, "")}
    data, errors = validate(request, JobResources, fields)
    if data is None:
        return {"estimate": None, "estimate_errors": errors}
    return {"estimate": await service.estimate_job(db, user, data), "estimate_errors": {}}


async def _form_ctx(
    request: Request,
    db: DbSession,
    user: User,
    job_inputs: JobInputs | None,
    values: dict[str, Any],
) -> dict[str, Any]:
    """The form's choices for the values' project, the values completed with what the form
    preselects (a partition the project can use, GPUs for it) and the estimate of them."""
    choices = await job_form.form_choices(
        db, user, project=values.get("project"), partition=values.get("partition"),
        job_inputs=job_inputs,
    )  # fmt: skip
    values["project"] = choices.project or ""
    if choices.partition is not None:
        values.setdefault("partition", choices.partition)
        values.setdefault("gpus", str(choices.gpus))
    values.setdefault("gpus", "0")
    estimate = await _estimate(request, db, user, values) if choices.partitions else {}
    return {
        "choices": choices, "values": values, "script_templates": job_form.SCRIPT_TEMPLATES,
        **estimate,
    }  # fmt: skip


def _query(request: Request, *names: str) -> dict[str, Any]:
    return {k: v for k, v in request.query_params.items() if k in names and v.strip()}


@router.get("/jobs/new")
async def new_job_page(
    request: Request, db: DbSession, user: PageUser, job_inputs: JobInputsDep
) -> Any:
    """The submission form, preselecting a partition the project can use."""
    values: dict[str, Any] = {**DEFAULTS, **_query(request, "project", "partition", "template")}
    if "template" in values:
        values["script"] = job_form.script_template(values["template"])
    ctx = await _form_ctx(request, db, user, job_inputs, values)
    return render(request, "compute/job_new.html", errors={}, **ctx)


@router.get("/jobs/new/fields")
async def job_project_fields(
    request: Request, db: DbSession, user: PageUser, job_inputs: JobInputsDep
) -> Any:
    """The fields that depend on the project (partition, GPUs, estimate, inputs), for HTMX."""
    kept = _query(request, "project", "time_limit", "nodes", "ntasks", "cpus_per_task")
    ctx = await _form_ctx(request, db, user, job_inputs, {**DEFAULTS, **kept})
    return render(request, "compute/_job_project_fields.html", errors={}, oob=True, **ctx)


@router.get("/jobs/new/estimate")
async def job_estimate(request: Request, db: DbSession, user: PageUser) -> Any:
    """The hours a job with these fields would reserve and what its allocation has left."""
    ctx = await _estimate(request, db, user, _query(request, *RESOURCE_FIELDS))
    return render(request, "compute/_job_estimate.html", **ctx)


@router.get("/jobs/new/script")
async def job_script_template(request: Request, user: PageUser, template: str = "") -> Any:
    """The script field filled with a template (nothing changes for the empty choice)."""
    if not template:
        return Response(status_code=204)
    values = {"script": job_form.script_template(template)}
    return render(request, "compute/_job_script.html", errors={}, values=values)


def _env_lines(text: str) -> dict[str, str]:
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.strip():
            key, sep, value = line.partition("=")
            if not sep:
                raise ValueError(f"'{line.strip()}' is not NAME=VALUE")
            env[key.strip()] = value
    return env


def _inputs(chosen: list[str]) -> list[dict[str, str]]:
    """The picker's "<kind>:<ref>" values as the API's `inputs` items."""
    out = []
    for value in chosen:
        kind, _, ref = value.partition(":")
        out.append({"kind": kind, "ref": ref})
    return out


@router.post("/jobs/new")
async def submit_job_form(
    request: Request, db: DbSession, user: PageUser, form: CsrfForm, job_inputs: JobInputsDep
) -> Any:
    """Submit a job from the form."""
    values = form_values(form, "inputs")
    data_in = {k: v for k, v in values.items() if k != "template"}
    data_in["inputs"] = _inputs(values["inputs"])
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
        ctx = await _form_ctx(request, db, user, job_inputs, values)
        return render(request, "compute/job_new.html", status_code=422, errors=errors, **ctx)
    return redirect(request, f"/jobs/{job.id}", gettext(request, "Job submitted."))


def _tab(value: str | None) -> str:
    return "stderr" if value == "stderr" else "stdout"


async def _live(request: Request, db: DbSession, user: User, job_id: int, tab: str | None) -> Any:
    view = await job_service.job_view(
        db, user, job_id, backends=get_infra(request).backends, tail_bytes=LOG_TAIL
    )
    job = view.job
    return {
        "view": view, "job": job, "tab": _tab(tab), "state_labels": STATE_LABELS,
        "ran_over": ran_over(job.charged_hours, job.reserved_hours),
    }  # fmt: skip


@router.get("/jobs/{job_id}")
async def job_page(
    request: Request, db: DbSession, user: PageUser, job_id: Id, tab: str | None = None
) -> Any:
    """One job: state, reason and why it failed, timings, charge, its stdout and stderr."""
    return render(request, "compute/job_detail.html", **await _live(request, db, user, job_id, tab))


@router.get("/jobs/{job_id}/live")
@router.get("/jobs/{job_id}/log-tail")
async def job_live_fragment(
    request: Request, db: DbSession, user: PageUser, job_id: Id, tab: str | None = None
) -> Any:
    """The live part of the job page (HTMX polls it until the job has ended and is charged)."""
    return render(request, "compute/_job_log.html", **await _live(request, db, user, job_id, tab))


@router.get("/jobs/{job_id}/output/{stream}")
async def job_output_download(
    request: Request, db: DbSession, user: PageUser, job_id: Id, stream: str
) -> StreamingResponse:
    """The whole stdout or stderr of a job, as a text file."""
    if stream not in ("stdout", "stderr"):
        raise InvalidInput("The output is 'stdout' or 'stderr'.")
    source = await job_service.log_source(db, user, job_id, backends=get_infra(request).backends)
    return StreamingResponse(
        job_service.iter_log(source, "stderr" if stream == "stderr" else "stdout"),
        media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="job-{job_id}-{stream}.txt"'},
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
    """A project's hours: balances, a chart per allocation of use against the grant (in the
    page's language), daily rows, CSV."""
    report = await access.project_usage(db, user, slug)
    moves = await access.daily_moves(db, [a.allocation_id for a in report.allocations])
    locale = page_locale(request)

    def translate(message: str) -> str:
        return gettext(request, message)

    charts = [
        # built from numbers, dates and escaped texts only
        Markup(
            access.usage_chart(
                a,
                moves.get(a.allocation_id, []),
                locale=locale,
                translate=translate,
                chart_id=f"chart-{a.allocation_id}",
            )
        )  # fmt: skip
        for a in report.allocations
    ]
    return render(request, "compute/usage.html", report=report, charts=charts)


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
