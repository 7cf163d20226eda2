"""Ticket attachments live in the object store; files of the former layout are moved into it."""

from __future__ import annotations

import hashlib

from aifhub.support import attachments

from .helpers import desk_and_project, open_ticket


async def _attach(client, db, data: bytes) -> tuple[dict[str, str], str, dict[str, object]]:
    s = await desk_and_project(client, db)
    tid = (await open_ticket(client, s["pi"]))["id"]
    r = await client.post(
        f"/api/v1/tickets/{tid}/messages",
        data={"body": "the job's log"},
        files={"files": ("job.log", data)},
        headers=s["pi"],
    )
    assert r.status_code == 201, r.text
    return s, f"/api/v1/tickets/{tid}/attachments", r.json()["attachments"][0]


async def test_attachments_are_kept_in_the_object_store(client, db, app):
    data = b"step 1 ok\nstep 2 failed\n"
    s, url, att = await _attach(client, db, data)
    store = app.state.infra.store
    assert att["sha256"] == hashlib.sha256(data).hexdigest() and store.exists(att["sha256"])
    assert store.local_path(att["sha256"]).read_bytes() == data
    assert not (app.state.infra.paths.var / "attachments").exists()
    got = await client.get(f"{url}/{att['id']}", headers=s["desk"])
    assert got.status_code == 200 and got.content == data


async def test_attachments_of_the_former_layout_move_into_the_store(client, db, app):
    data = b"an attachment sent before the object store kept them\n"
    s, url, att = await _attach(client, db, data)
    infra = app.state.infra
    digest = str(att["sha256"])
    # As an earlier version left it: <var>/attachments/ab/<sha256>, nothing in the store.
    legacy = infra.paths.var / "attachments"
    (legacy / digest[:2]).mkdir(parents=True)
    (legacy / digest[:2] / digest).write_bytes(data)
    infra.store.local_path(digest).unlink()
    damaged = hashlib.sha256(b"other bytes").hexdigest()
    (legacy / damaged[:2]).mkdir(exist_ok=True)
    (legacy / damaged[:2] / damaged).write_bytes(b"bytes that are not the named ones")
    missing = await client.get(f"{url}/{att['id']}", headers=s["desk"])
    assert missing.status_code == 404 and "missing from the store" in missing.json()["detail"]

    await attachments.adopt_legacy_files(app.state.sessionmaker, infra)

    got = await client.get(f"{url}/{att['id']}", headers=s["desk"])
    assert got.status_code == 200 and got.content == data
    assert not (legacy / digest[:2] / digest).exists()
    # A file whose bytes do not match its name stays where it is, for a person to look at.
    assert (legacy / damaged[:2] / damaged).exists() and not infra.store.exists(damaged)
    assert attachments.move_into_store(legacy, infra.store) == 0  # done once
    (legacy / damaged[:2] / damaged).unlink()
    assert attachments.move_into_store(legacy, infra.store) == 0 and not legacy.exists()
