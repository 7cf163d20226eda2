"""The data access flow in the pages: states in words, access and downloads once granted,
the pending list with every answer, refusals with a reason, the access log, publishing."""

from __future__ import annotations

import re

from sqlalchemy import select

from aifhub.catalog.models import AccessContract, AssetVersion

from ..factories import api_user
from ..web.helpers import HTML, csrf_of, login
from .helpers import owner_with_asset, publish, requester

SLUG = "neuro/mri-small"
QUESTIONS = [
    {"name": "affiliation", "label": "Your laboratory", "type": "text"},
    {"name": "ethics", "label": "Ethics approval obtained", "type": "checkbox"},
    {"name": "use", "label": "Intended use", "type": "select", "options": ["research", "product"]},
]
DATA = b"id,value\n1,0.5\n2,0.25\n"
PURPOSE = "Train a segmentation model.\nSecond line: evaluation on held-out scans."
RAW_STATES = ("requested", "agreed", "finalized", "rejected", "terminated")


def _text(html: str) -> str:
    """What a person reads: the page without its tags, attributes and scripts."""
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _no_raw_state(html: str) -> None:
    words = set(re.findall(r"[a-z]+", _text(html)))
    assert not words & set(RAW_STATES), words & set(RAW_STATES)


async def _gated(client, db) -> dict[str, str]:
    owner_h = await owner_with_asset(
        client, db, access_policy="gated", gate_questions=QUESTIONS, name="IRM cérébrales"
    )
    await publish(client, owner_h, SLUG, "v1", {"data/features.csv": DATA})
    return owner_h


async def _request_on_page(client, db) -> tuple[dict[str, str], str, int]:
    """The requester (signed in) sends the form of the asset's page; returns headers, csrf, id."""
    pi_h = await requester(client, db)
    csrf = await login(client, "pi@aero.example")
    form = {
        "csrf_token": csrf,
        "project": "wing-cfd",
        "purpose": PURPOSE,
        "q_affiliation": "Laboratoire d'aérodynamique",
        "q_ethics": "on",
        "q_use": "research",
    }
    r = await client.post(f"/catalog/{SLUG}/request", data=form, headers=HTML)
    assert r.status_code == 303, r.text
    contract_id = await db.scalar(select(AccessContract.id))
    assert contract_id is not None
    return pi_h, csrf, contract_id


async def test_the_requester_reads_each_state_and_downloads_once_granted(client, db):
    owner_h = await _gated(client, db)
    _pi_h, csrf, cid = await _request_on_page(client, db)
    page = (await client.get(f"/catalog/{SLUG}", headers=HTML)).text
    assert "Waiting for the owner's approval" in page
    assert 'id="request-form"' not in page  # the only project has a request under way
    assert "/files/v1/data/features.csv" not in page
    _no_raw_state(page)
    # No access yet: the download page refuses with a sentence, and logs nothing.
    r = await client.get(f"/catalog/{SLUG}/files/v1/data/features.csv?project=wing-cfd")
    assert r.status_code == 403 and "no access grant" in r.text
    r = await client.post(f"/api/v1/access-requests/{cid}/agree", json={}, headers=owner_h)
    assert r.status_code == 200, r.text
    page = (await client.get(f"/catalog/{SLUG}", headers=HTML)).text
    assert "Approved: accept the terms to get access" in page and "Accept the terms" in page
    _no_raw_state(page)
    r = await client.post(
        f"/access-requests/{cid}/finalize", data={"csrf_token": csrf}, headers=HTML
    )
    assert r.status_code == 303 and r.headers["location"] == f"/catalog/{SLUG}"
    page = (await client.get(f"/catalog/{SLUG}", headers=HTML)).text
    text = _text(page)
    assert "You have access" in text and "Through project wing-cfd, since" in text
    assert "Until " in text  # the grant expires: its end date is shown
    assert 'id="request-form"' not in page and "Request access" not in text
    assert "Accept the terms" not in text
    _no_raw_state(page)
    link = "/catalog/neuro/mri-small/files/v1/data/features.csv?project=wing-cfd"
    assert f'href="{link}"' in page
    r = await client.get(link)
    assert r.status_code == 200 and r.content == DATA
    assert r.headers["content-disposition"].endswith('filename="features.csv"')
    log = (await client.get(f"/api/v1/catalog/{SLUG}/access-log", headers=owner_h)).json()
    assert [(e["action"], e["path"], e["project"], e["user"]) for e in log] == [
        ("download", "data/features.csv", "wing-cfd", "pi@aero.example")
    ]


async def test_the_download_page_is_authorised_like_the_api(client, db):
    await _gated(client, db)
    await _request_on_page(client, db)
    # Someone of a third organisation, signed in, with no grant: 403 or 404 with a sentence.
    await api_user(db, "eve@other.example")
    await login(client, "eve@other.example")
    r = await client.get(f"/catalog/{SLUG}/files/v1/data/features.csv", headers=HTML)
    assert r.status_code == 403 and "name the project that holds the grant" in r.text
    r = await client.get(
        f"/catalog/{SLUG}/files/v1/data/features.csv?project=wing-cfd", headers=HTML
    )
    assert r.status_code == 404 and "wing-cfd" in r.text
    r = await client.get(f"/catalog/{SLUG}/files/v1/nothing.csv", headers=HTML)
    assert r.status_code == 404 and "no file" in r.text
    # A visitor is sent to sign in.
    client.cookies.clear()
    page = (await client.get(f"/catalog/{SLUG}", headers=HTML)).text
    assert f'href="/login?next=/catalog/{SLUG}"' in page and "/files/v1/" not in page
    r = await client.get(f"/catalog/{SLUG}/files/v1/data/features.csv", headers=HTML)
    assert r.status_code in (302, 303) and "/login" in r.headers["location"]
    # The owners download their own data without a project.
    await login(client, "owner@neuro.example")
    page = (await client.get(f"/catalog/{SLUG}", headers=HTML)).text
    assert 'href="/catalog/neuro/mri-small/files/v1/data/features.csv"' in page
    r = await client.get(f"/catalog/{SLUG}/files/v1/data/features.csv")
    assert r.status_code == 200 and r.content == DATA


async def test_the_approver_sees_every_answer_and_approves_from_the_list(client, db):
    await _gated(client, db)
    await _request_on_page(client, db)
    cid = await db.scalar(select(AccessContract.id))
    csrf = await login(client, "owner@neuro.example")
    home = (await client.get("/", headers=HTML)).text
    assert 'href="/catalog/requests"' in home and "1 request waits for your decision" in home
    catalogue = (await client.get("/catalog", headers=HTML)).text
    assert 'id="waiting-requests"' in catalogue
    asset_page = (await client.get(f"/catalog/{SLUG}", headers=HTML)).text
    assert 'href="/catalog/requests"' in asset_page and f'id="request-{cid}"' in asset_page
    page = (await client.get("/catalog/requests", headers=HTML)).text
    text = _text(page)
    # The purpose keeps its lines; every question with its answer; who, for which project.
    assert "Train a segmentation model.\nSecond line" in page
    for shown in ("Your laboratory", "Laboratoire d&#39;aérodynamique", "Ethics approval obtained",
                  "Intended use", "research", "pi@aero.example", "Wing-Cfd", "Aero"):  # fmt: skip
        assert shown in page, shown
    assert "IRM cérébrales" in text and "Yes" in text
    r = await client.post(
        f"/access-requests/{cid}/agree", data={"csrf_token": csrf, "next": "requests"}, headers=HTML
    )
    assert r.status_code == 303 and r.headers["location"] == "/catalog/requests"
    assert await db.scalar(select(AccessContract.state)) == "agreed"
    page = (await client.get("/catalog/requests", headers=HTML)).text
    assert "No request waits for your decision." in page
    home = (await client.get("/", headers=HTML)).text
    assert 'id="catalog-requests-card"' not in home


async def test_a_refusal_needs_a_reason_that_the_requester_reads(client, db):
    owner_h = await _gated(client, db)
    await _request_on_page(client, db)
    cid = await db.scalar(select(AccessContract.id))
    csrf = await login(client, "owner@neuro.example")
    form = {"csrf_token": csrf, "next": "requests", "note": "  "}
    r = await client.post(f"/access-requests/{cid}/reject", data=form, headers=HTML)
    assert r.status_code == 422 and "Give the reason for the refusal" in r.text
    assert await db.scalar(select(AccessContract.state)) == "requested"
    r = await client.post(f"/api/v1/access-requests/{cid}/reject", json={}, headers=owner_h)
    assert r.status_code == 422
    r = await client.post(
        f"/access-requests/{cid}/reject",
        data={**form, "note": "The data cannot leave the hospital network."},
        headers=HTML,
    )
    assert r.status_code == 303
    await login(client, "pi@aero.example")
    page = (await client.get(f"/catalog/{SLUG}", headers=HTML)).text
    assert "Refused: The data cannot leave the hospital network." in page
    _no_raw_state(page)
    # The project may ask again: the form is back.
    assert 'id="request-form"' in page


async def test_only_owners_see_pending_requests_and_the_access_log(client, db):
    await _gated(client, db)
    await _request_on_page(client, db)
    page = (await client.get("/catalog/requests", headers=HTML)).text
    assert "No request waits for your decision." in page and "Train a segmentation" not in page
    r = await client.get(f"/catalog/{SLUG}/access-log", headers=HTML)
    assert r.status_code == 403 and "Only owners and admins" in r.text
    cid = await db.scalar(select(AccessContract.id))
    csrf = csrf_of(page)
    r = await client.post(f"/access-requests/{cid}/agree", data={"csrf_token": csrf}, headers=HTML)
    assert r.status_code == 403
    assert await db.scalar(select(AccessContract.state)) == "requested"


async def test_the_owner_reads_the_access_log_page(client, db):
    owner_h = await _gated(client, db)
    _pi_h, csrf, cid = await _request_on_page(client, db)
    await client.post(f"/api/v1/access-requests/{cid}/agree", json={}, headers=owner_h)
    await client.post(f"/access-requests/{cid}/finalize", data={"csrf_token": csrf}, headers=HTML)
    r = await client.get(f"/catalog/{SLUG}/files/v1/data/features.csv?project=wing-cfd")
    assert r.status_code == 200
    await login(client, "owner@neuro.example")
    asset_page = (await client.get(f"/catalog/{SLUG}", headers=HTML)).text
    assert f'href="/catalog/{SLUG}/access-log"' in asset_page
    page = (await client.get(f"/catalog/{SLUG}/access-log", headers=HTML)).text
    row = _text(page.split('id="access-log"')[1])
    assert "pi@aero.example" in row and "wing-cfd" in row and "data/features.csv" in row
    assert "Downloaded" in row and "v1" in row


async def test_publish_a_gated_dataset_from_the_pages(client, db):
    await owner_with_asset(client, db, slug="neuro/other")  # makes the owner and "neuro"
    csrf = await login(client, "owner@neuro.example")
    page = (await client.get("/catalog/new", headers=HTML)).text
    assert '<option value="neuro"' in page
    form = {
        "csrf_token": csrf, "organisation": "neuro", "kind": "dataset",
        "name": "Électro-encéphalogrammes", "slug": "Bad Slug", "summary": "EEG",
        "license": "cc-by-4.0", "access_policy": "gated",
        "questions": "Your laboratory\n\nYour ethics committee",
    }  # fmt: skip
    r = await client.post("/catalog/new", data=form, headers=HTML)
    assert r.status_code == 422 and "Électro-encéphalogrammes" in r.text
    r = await client.post("/catalog/new", data={**form, "slug": "eeg"}, headers=HTML)
    assert r.status_code == 303 and r.headers["location"] == "/catalog/neuro/eeg"
    api = (await client.get("/api/v1/catalog/neuro/eeg")).json()
    assert api["access_policy"] == "gated" and api["name"] == "Électro-encéphalogrammes"
    labels = [q["label"] for q in api["gate_questions"]]
    assert labels == ["Your laboratory", "Your ethics committee"]
    # No file chosen: said next to the field, nothing created.
    r = await client.post(
        "/catalog/neuro/eeg/upload", data={"csrf_token": csrf, "label": "v1"}, headers=HTML
    )
    assert r.status_code == 422 and "Choose a file" in r.text
    r = await client.post(
        "/catalog/neuro/eeg/upload",
        data={"csrf_token": csrf, "label": "v1"},
        files={"file": ("recording.csv", DATA, "text/csv")},
        headers=HTML,
    )
    assert r.status_code == 303, r.text
    page = (await client.get("/catalog/neuro/eeg", headers=HTML)).text
    assert "recording.csv" in page and "Publish version v1" in page
    r = await client.post(
        "/catalog/neuro/eeg/versions/v1/publish", data={"csrf_token": csrf}, headers=HTML
    )
    assert r.status_code == 303
    assert await db.scalar(select(AssetVersion.state).where(AssetVersion.label == "v1")) == (
        "published"
    )
    versions = (await client.get("/api/v1/catalog/neuro/eeg/versions")).json()
    assert versions[0]["files"][0]["path"] == "recording.csv"
    # Someone else cannot upload into it.
    await api_user(db, "eve@other.example")
    csrf = await login(client, "eve@other.example")
    r = await client.post(
        "/catalog/neuro/eeg/upload",
        data={"csrf_token": csrf, "label": "v2"},
        files={"file": ("x.csv", b"x", "text/csv")},
        headers=HTML,
    )
    assert r.status_code == 403


async def test_policies_facets_and_states_are_words_in_english_and_french(client, db):
    h = await owner_with_asset(client, db, access_policy="gated", origin_country="FR",
                               hosted_country="FR", sectors=["health"])  # fmt: skip
    await publish(client, h, SLUG, "v1", {"a.csv": b"x"})
    en = _text((await client.get("/catalog", headers={**HTML, "accept-language": "en"})).text)
    for label in ("Access", "On request", "Kind", "Dataset", "Sovereignty",
                  "Made and hosted in the EU", "Sector", "Health", "Most relevant"):  # fmt: skip
        assert label in en, label
    for raw in ("access_policy", "gated", "eu_hosted", "relevance"):
        assert raw not in en.split(), raw
    fr = _text((await client.get("/catalog", headers={**HTML, "accept-language": "fr"})).text)
    for label in ("Accès", "Sur demande", "Jeu de données", "Conçu et hébergé dans l'UE", "Santé"):
        assert label in fr.replace("&#39;", "'"), label
    page = (await client.get(f"/catalog/{SLUG}", headers={**HTML, "accept-language": "fr"})).text
    assert "Publiée" in page and "Sur demande" in page


async def test_expired_and_revoked_grants_read_as_sentences(client, db):
    owner_h = await _gated(client, db)
    _pi_h, csrf, cid = await _request_on_page(client, db)
    await client.post(f"/api/v1/access-requests/{cid}/agree", json={}, headers=owner_h)
    await client.post(f"/access-requests/{cid}/finalize", data={"csrf_token": csrf}, headers=HTML)
    contract = await db.get(AccessContract, cid)
    assert contract is not None
    contract.expires_at = contract.finalized_at  # the grant ran out
    await db.commit()
    page = (await client.get(f"/catalog/{SLUG}", headers=HTML)).text
    assert "Expired" in _text(page) and "You have access" not in page
    assert 'id="request-form"' in page and "/files/v1/" not in page
    _no_raw_state(page)
    r = await client.get(f"/catalog/{SLUG}/files/v1/data/features.csv?project=wing-cfd")
    assert r.status_code == 403 and "expired or was revoked" in r.text
    # A new grant, revoked by the owner with a reason.
    r = await client.post(
        f"/api/v1/catalog/{SLUG}/requests",
        json={"project": "wing-cfd", "purpose": "Second try, same aim.", "answers": {
            "affiliation": "Lab", "ethics": True, "use": "research"}},
        headers=_pi_h,
    )  # fmt: skip
    second = r.json()["id"]
    await client.post(f"/api/v1/access-requests/{second}/agree", json={}, headers=owner_h)
    await client.post(f"/api/v1/access-requests/{second}/finalize", headers=_pi_h)
    r = await client.post(
        f"/api/v1/access-requests/{second}/terminate",
        json={"note": "The study ended."},
        headers=owner_h,
    )
    assert r.status_code == 200
    page = (await client.get(f"/catalog/{SLUG}", headers=HTML)).text
    assert "Access ended: The study ended." in page
    _no_raw_state(page)


async def test_staff_admins_see_every_pending_request(client, db):
    await _gated(client, db)
    await _request_on_page(client, db)
    await api_user(db, "staff@aifhub.example", staff=("admin",))
    await login(client, "staff@aifhub.example")
    page = (await client.get("/catalog/requests", headers=HTML)).text
    assert "IRM cérébrales" in page and "Train a segmentation model." in page
    home = (await client.get("/", headers=HTML)).text
    assert 'id="catalog-requests-card"' in home


async def test_a_restricted_grant_without_export_shows_no_download_link(client, db):
    from .test_access import RULES

    owner = await owner_with_asset(client, db, access_policy="restricted", policy_rules=RULES)
    await publish(client, owner, SLUG, "v1", {"scan.nii": b"mri-bytes"})
    pi_h = await requester(client, db)
    r = await client.post(
        f"/api/v1/catalog/{SLUG}/requests",
        json={"project": "wing-cfd", "purpose": "Segmentation research in the factory."},
        headers=pi_h,
    )
    assert r.status_code == 201 and r.json()["state"] == "finalized"
    await login(client, "pi@aero.example")
    page = (await client.get(f"/catalog/{SLUG}", headers=HTML)).text
    assert "You have access" in page and "keeps its files in the factory" in page
    assert "/files/v1/" not in page
    r = await client.get(f"/catalog/{SLUG}/files/v1/scan.nii?project=wing-cfd", headers=HTML)
    assert r.status_code == 403 and "is prohibited" in r.text
