"""The staff page of the clusters' health: each Slurm cluster's daemons and drift, run live."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from aifhub.compute.cluster_check import staff_cluster_reports
from aifhub.core.db import DbSession, utcnow
from aifhub.core.infra import Infra
from aifhub.identity import StaffPageUser
from aifhub.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/staff/clusters")
async def cluster_health_page(
    request: Request, db: DbSession, user: StaffPageUser, infra: Infra
) -> Any:
    """Each Slurm cluster's daemons (up/down) and the site file's drift, checked now."""
    reports = await staff_cluster_reports(db, user, infra.backends)
    return render(request, "staff/clusters.html", reports=reports, computed_at=utcnow())
