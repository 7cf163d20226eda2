"""Access contracts: gated and restricted assets, grants, expiry, revocation, the access log."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from aifhub.catalog.models import AccessContract, AccessLogEntry
from aifhub.core.db import utcnow

from .helpers import owner_with_asset, publish, requester

ASSET = "/api/v1/catalog/neuro/mri-small"
FILE = ASSET + "/versions/v1/files/scan.nii"
QUESTIONS = [
    {"name": "affiliation", "label": "Affiliation", "type": "text"},
    {"name": "ethics", "label": "I have ethics approval", "type": "checkbox"},
    {"name": "country", "label": "Country", "type": "country"},
    {"name": "use", "label": "Use", "type": "select", "options": ["research", "product"]},
]
ANSWERS = {"affiliation": "Aero", "ethics": True, "country": "fr", "use": "research"}
PURPOSE = "Training a segmentation model for wing defects"


async def _gated(client, db):
    owner = await owner_with_asset(client, db, access_policy="gated", gate_questions=QUESTIONS)
    await publish(client, owner, "neuro/mri-small", "v1", {"scan.nii": b"mri-bytes"})
    pi = await requester(client, db)
    return owner, pi


async def _request(client, h, **over):
    body = {"project": "wing-cfd", "purpose": PURPOSE, "answers": ANSWERS, **over}
    return await client.post(ASSET + "/requests", json=body, headers=h)


async def test_gated_flow_request_agree_finalize_download(client, db):
    owner, pi = await _gated(client, db)
    r = await client.get(FILE, params={"project": "wing-cfd"}, headers=pi)
    assert r.status_code == 403 and r.json()["type"].endswith("grant-required")
    r = await _request(client, pi)
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["state"] == "requested" and c["answers"]["country"] == "FR"
    assert (await _request(client, pi)).status_code == 409  # one open request at a time
    # The requester cannot decide for the owner.
    assert (
        await client.post(f"/api/v1/access-requests/{c['id']}/agree", json={}, headers=pi)
    ).status_code == 403
    r = await client.post(
        f"/api/v1/access-requests/{c['id']}/agree",
        json={"terms": "No re-identification.", "days": 30},
        headers=owner,
    )
    assert r.status_code == 200 and r.json()["state"] == "agreed"
    assert (await client.get(FILE, params={"project": "wing-cfd"}, headers=pi)).status_code == 403
    r = await client.post(f"/api/v1/access-requests/{c['id']}/finalize", headers=pi)
    assert r.status_code == 200 and r.json()["active"] is True
    r = await client.get(FILE, params={"project": "wing-cfd"}, headers=pi)
    assert r.status_code == 200 and r.content == b"mri-bytes"
    # Without naming the project there is no grant to use.
    assert (await client.get(FILE, headers=pi)).status_code == 403
    log = (await client.get(ASSET + "/access-log", headers=owner)).json()
    assert [(e["action"], e["project"]) for e in log] == [("download", "wing-cfd")]
    assert (await client.get(ASSET + "/access-log", headers=pi)).status_code == 403
    csv = (await client.get(ASSET + "/grants.csv", headers=owner)).text
    assert csv.splitlines()[0].startswith("contract,asset,organisation,project,state,active")
    assert ",aero,wing-cfd,finalized,True," in csv
    mine = (await client.get("/api/v1/access-requests", headers=pi)).json()
    assert [m["id"] for m in mine] == [c["id"]]


async def test_bad_answers_are_422_and_store_nothing(client, db):
    _, pi = await _gated(client, db)
    for answers, needle in [
        ({**ANSWERS, "ethics": False}, "answer the question"),
        ({**ANSWERS, "country": "XX"}, "country code"),
        ({**ANSWERS, "use": "weapons"}, "must be one of"),
        ({**ANSWERS, "extra": 1}, "unknown questions"),
    ]:
        r = await _request(client, pi, answers=answers)
        assert r.status_code == 422 and needle in r.json()["detail"], r.text
    r = await _request(client, pi, purpose="short")
    assert r.status_code == 422
    assert await db.scalar(select(func.count()).select_from(AccessContract)) == 0


async def test_request_for_own_or_open_asset_is_409(client, db):
    owner = await owner_with_asset(client, db, access_policy="gated")
    from ..factories import make_project

    await make_project(client, owner, "own-proj", "neuro")
    r = await client.post(
        ASSET + "/requests", json={"project": "own-proj", "purpose": PURPOSE}, headers=owner
    )
    assert r.status_code == 409 and "own organisation" in r.json()["detail"]
    await client.patch(ASSET, json={"access_policy": "open"}, headers=owner)
    pi = await requester(client, db)
    r = await client.post(
        ASSET + "/requests", json={"project": "wing-cfd", "purpose": PURPOSE}, headers=pi
    )
    assert r.status_code == 409 and "open" in r.json()["detail"]
    assert await db.scalar(select(func.count()).select_from(AccessContract)) == 0


async def test_rejected_expired_and_revoked_grants(client, db):
    owner, pi = await _gated(client, db)
    c = (await _request(client, pi)).json()
    r = await client.post(
        f"/api/v1/access-requests/{c['id']}/reject", json={"note": "no"}, headers=owner
    )
    assert r.json()["state"] == "rejected"
    assert (
        await client.post(f"/api/v1/access-requests/{c['id']}/finalize", headers=pi)
    ).status_code == 409
    # A second request, granted, then expired.
    c = (await _request(client, pi)).json()
    await client.post(f"/api/v1/access-requests/{c['id']}/agree", json={}, headers=owner)
    await client.post(f"/api/v1/access-requests/{c['id']}/finalize", headers=pi)
    await db.execute(
        update(AccessContract)
        .where(AccessContract.id == c["id"])
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    await db.commit()
    r = await client.get(FILE, params={"project": "wing-cfd"}, headers=pi)
    assert r.status_code == 403 and r.json()["type"].endswith("grant-expired")
    assert "expired" in r.json()["detail"] and r.json()["asset"] == "neuro/mri-small"
    # Granted again, then revoked by the owner.
    c = (await _request(client, pi)).json()
    await client.post(f"/api/v1/access-requests/{c['id']}/agree", json={}, headers=owner)
    await client.post(f"/api/v1/access-requests/{c['id']}/finalize", headers=pi)
    assert (await client.get(FILE, params={"project": "wing-cfd"}, headers=pi)).status_code == 200
    r = await client.post(f"/api/v1/access-requests/{c['id']}/terminate", json={}, headers=owner)
    assert r.json()["state"] == "terminated" and r.json()["active"] is False
    r = await client.get(FILE, params={"project": "wing-cfd"}, headers=pi)
    assert r.status_code == 403 and r.json()["type"].endswith("grant-expired")
    n = await db.scalar(select(func.count()).select_from(AccessLogEntry))
    assert n == 1  # only the one successful download


RULES = {
    "permission": [
        {
            "action": "use",
            "constraint": [
                {"leftOperand": "country", "operator": "isPartOf", "rightOperand": "EU"},
                {
                    "leftOperand": "orgKind",
                    "operator": "isAnyOf",
                    "rightOperand": ["startup", "sme", "academic"],
                },
            ],
            "duty": [{"action": "attribute"}],
        }
    ],
    "prohibition": [{"action": "export"}],
}


async def test_restricted_asset_policy_decides(client, db):
    owner = await owner_with_asset(client, db, access_policy="restricted", policy_rules=RULES)
    await publish(client, owner, "neuro/mri-small", "v1", {"scan.nii": b"mri-bytes"})
    big = await requester(client, db, org="bigco", project="big-proj", kind="large_company")
    r = await client.post(
        ASSET + "/requests", json={"project": "big-proj", "purpose": PURPOSE}, headers=big
    )
    assert r.status_code == 403 and "orgKind isAnyOf" in r.json()["detail"]
    us = await requester(client, db, org="usco", project="us-proj", country="US")
    r = await client.post(
        ASSET + "/requests", json={"project": "us-proj", "purpose": PURPOSE}, headers=us
    )
    assert r.status_code == 403 and "country isPartOf EU" in r.json()["detail"]
    assert await db.scalar(select(func.count()).select_from(AccessContract)) == 0
    pi = await requester(client, db)
    r = await client.post(
        ASSET + "/requests", json={"project": "wing-cfd", "purpose": PURPOSE}, headers=pi
    )
    assert r.status_code == 201 and r.json()["state"] == "finalized"
    assert r.json()["obligations"] == [{"action": "attribute"}]
    # Granted for use in the factory, but export (download) is prohibited.
    r = await client.get(FILE, params={"project": "wing-cfd"}, headers=pi)
    assert r.status_code == 403 and "'export' is prohibited" in r.json()["detail"]
    # The owner's own members can always download.
    assert (await client.get(FILE, headers=owner)).status_code == 200
