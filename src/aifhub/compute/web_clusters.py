"""The staff page of the clusters' health: each Slurm cluster's daemons and drift, run live."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from aifhub.compute.cluster_check import check_clusters, staff_check_targets
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
    targets = await staff_check_targets(db, user)
    # Nothing was written: end the transaction so no connection is held while Slurm answers.
    await db.commit()
    reports = await check_clusters(targets, infra.backends)
    return render(request, "staff/clusters.html", reports=reports, computed_at=utcnow())
