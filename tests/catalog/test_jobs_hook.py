"""The compute hook: job inputs checked at submission, staged read-only, grants re-checked."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlalchemy import select

from aifhub.catalog.errors import GrantExpired, GrantRequired, PolicyDenied
from aifhub.catalog.job_inputs import (
    check_job_inputs,
    grant_valid,
    record_staging,
    stage_into,
    stage_path,
)
from aifhub.catalog.models import AccessLogEntry
from aifhub.core.db import utcnow
from aifhub.core.errors import NotFound
from aifhub.core.infra import build_infrastructure
from aifhub.identity.models import Project

from .helpers import owner_with_asset, publish, requester, sha

ASSET = "/api/v1/catalog/neuro/mri-small"
PURPOSE = "Segmentation model training on the factory"


async def _project_id(db, slug):
    return await db.scalar(select(Project.id).where(Project.slug == slug))


async def test_open_asset_is_granted_without_contract_and_staged(client, db, settings, tmp_path):
    owner = await owner_with_asset(client, db)
    await publish(client, owner, "neuro/mri-small", "v1", {"a/x.bin": b"xx", "y.txt": b"y"})
    await requester(client, db)
    pid = await _project_id(db, "wing-cfd")
    [item] = await check_job_inputs(db, project_id=pid, refs=["neuro/mri-small"])
    assert item.version == "v1" and item.grant_id is None
    assert {f.path: f.sha256 for f in item.files} == {"a/x.bin": sha(b"xx"), "y.txt": sha(b"y")}
    store = build_infrastructure(settings).store
    paths = stage_path(store, item)
    assert paths["a/x.bin"].read_bytes() == b"xx" and paths["a/x.bin"].name == sha(b"xx")
    dest = stage_into(store, item, tmp_path / "inputs")
    staged = dest / "a" / "x.bin"
    assert staged.read_bytes() == b"xx" and not os.access(staged, os.W_OK) or os.geteuid() == 0
    assert oct(staged.stat().st_mode & 0o777) == "0o444"
    await record_staging(db, project_id=pid, inputs=[item], job_key="local:42")
    await db.commit()
    row = await db.scalar(select(AccessLogEntry))
    assert (row.action, row.job_key, row.project_id) == ("stage", "local:42", pid)


async def test_gated_asset_needs_grant_and_revocation_stops_it(client, db):
    owner = await owner_with_asset(client, db, access_policy="gated")
    await publish(client, owner, "neuro/mri-small", "v1", {"x": b"1"})
    pi = await requester(client, db)
    pid = await _project_id(db, "wing-cfd")
    with pytest.raises(GrantRequired, match="no access grant for 'neuro/mri-small'"):
        await check_job_inputs(db, project_id=pid, refs=["neuro/mri-small@v1"])
    c = (
        await client.post(
            ASSET + "/requests", json={"project": "wing-cfd", "purpose": PURPOSE}, headers=pi
        )
    ).json()
    await client.post(f"/api/v1/access-requests/{c['id']}/agree", json={}, headers=owner)
    await client.post(f"/api/v1/access-requests/{c['id']}/finalize", headers=pi)
    [item] = await check_job_inputs(db, project_id=pid, refs=["neuro/mri-small@v1"])
    assert item.grant_id == c["id"] and await grant_valid(db, item.grant_id, utcnow())
    await client.post(f"/api/v1/access-requests/{c['id']}/terminate", json={}, headers=owner)
    db.expire_all()
    assert not await grant_valid(db, item.grant_id, utcnow())
    with pytest.raises(GrantExpired) as exc:
        await check_job_inputs(db, project_id=pid, refs=["neuro/mri-small"])
    assert exc.value.status == 403 and exc.value.extra["asset"] == "neuro/mri-small"


async def test_unknown_inputs_are_404(client, db):
    owner = await owner_with_asset(client, db)
    await publish(client, owner, "neuro/mri-small", "v1", {"x": b"1"})
    await requester(client, db)
    pid = await _project_id(db, "wing-cfd")
    with pytest.raises(NotFound):
        await check_job_inputs(db, project_id=pid, refs=["neuro/nothing"])
    with pytest.raises(NotFound, match="no version 'v7'"):
        await check_job_inputs(db, project_id=pid, refs=["neuro/mri-small@v7"])


async def test_restricted_policy_is_rechecked_at_staging_time(client, db):
    cutoff = utcnow() + timedelta(days=30)
    rules = {
        "permission": [
            {
                "action": "use",
                "constraint": [
                    {
                        "leftOperand": "dateTime",
                        "operator": "lt",
                        "rightOperand": cutoff.isoformat(),
                    }
                ],
            }
        ]
    }
    owner = await owner_with_asset(client, db, access_policy="restricted", policy_rules=rules)
    await publish(client, owner, "neuro/mri-small", "v1", {"x": b"1"})
    pi = await requester(client, db)
    r = await client.post(
        ASSET + "/requests", json={"project": "wing-cfd", "purpose": PURPOSE}, headers=pi
    )
    assert r.status_code == 201
    pid = await _project_id(db, "wing-cfd")
    assert len(await check_job_inputs(db, project_id=pid, refs=["neuro/mri-small"])) == 1
    later = utcnow() + timedelta(days=60)  # the grant runs a year, the policy 30 days
    with pytest.raises(PolicyDenied, match="dateTime lt"):
        await check_job_inputs(db, project_id=pid, refs=["neuro/mri-small"], at=later)
