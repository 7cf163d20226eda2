"""The Hub read API in process, on SQLite and PostgreSQL: listing queries, revisions, grants,
HEAD versus GET in the access log, and the Hub's error codes."""

from __future__ import annotations

import base64

from .helpers import owner_with_asset, publish, requester, sha

PURPOSE = "Training a segmentation model for wing defects"
SCAN = "/neuro/mri-model/resolve/main/scan.bin"


async def _model(client, db, **fields):
    owner = await owner_with_asset(
        client, db, slug="neuro/mri-model", kind="model", name="MRI Model", **fields
    )
    await publish(client, owner, "neuro/mri-model", "v1", {"scan.bin": b"one"})
    await publish(client, owner, "neuro/mri-model", "v2", {"scan.bin": b"two", "a/b/c.txt": b"c"})
    return owner


async def _log(client, owner):
    r = await client.get("/api/v1/catalog/neuro/mri-model/access-log", headers=owner)
    assert r.status_code == 200, r.text
    return r.json()


async def test_listing_search_author_sort_and_cursor(client, db):
    owner = await _model(client, db)
    r = await client.post(
        "/api/v1/catalog",
        json={"kind": "model", "organisation": "neuro", "slug": "neuro/draft-only",
              "name": "Draft 100%", "license": "mit"},
        headers=owner,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    r = await client.get("/api/models")
    assert [m["id"] for m in r.json()] == ["neuro/mri-model"]  # drafts are not repos
    assert (await client.get("/api/datasets")).json() == []
    r = await client.get("/api/models", params={"search": "MRI MOD", "author": "neuro"})
    assert [m["id"] for m in r.json()] == ["neuro/mri-model"]
    # LIKE wildcards in a search are plain characters.
    assert (await client.get("/api/models", params={"search": "%"})).json() == []
    assert (await client.get("/api/models", params={"author": "neur"})).json() == []
    r = await client.get("/api/models", params={"sort": "downloads", "direction": -1})
    assert r.status_code == 200 and "link" not in r.headers
    r = await client.get("/api/models", params={"sort": "likes"})
    assert r.status_code == 422
    huge = base64.urlsafe_b64encode(b"99999999999999999999").decode()
    r = await client.get("/api/models", params={"cursor": huge})
    assert r.status_code == 422 and "cursor" in r.json()["error"]
    r = await client.get("/api/models/neuro/draft-only", headers=owner)
    assert r.status_code == 404 and r.headers["x-error-code"] == "RepoNotFound"


async def test_revisions_by_main_label_and_commit(client, db):
    await _model(client, db)
    main = (await client.get("/api/models/neuro/mri-model")).json()
    v1 = (await client.get("/api/models/neuro/mri-model/revision/v1")).json()
    assert main["sha"] != v1["sha"] and len(main["sha"]) == 40
    again = await client.get(f"/api/models/neuro/mri-model/revision/{v1['sha']}")
    assert again.json()["siblings"] == v1["siblings"]
    lfs = {s["rfilename"]: s.get("lfs") for s in main["siblings"]}
    assert lfs["scan.bin"] == {"sha256": sha(b"two"), "size": 3, "pointerSize": 126}
    r = await client.get(f"/api/models/neuro/mri-model/revision/{'0' * 40}")
    assert r.status_code == 404 and r.headers["x-error-code"] == "RevisionNotFound"
    tree = await client.get("/api/models/neuro/mri-model/tree/main/a")
    assert [(e["type"], e["path"]) for e in tree.json()] == [("directory", "a/b")]
    assert tree.headers["x-repo-commit"] == main["sha"]
    r = await client.get("/api/models/neuro/mri-model/tree/main/nowhere")
    assert r.status_code == 404 and r.headers["x-error-code"] == "EntryNotFound"


async def test_gated_download_head_get_and_grant(client, db):
    owner = await _model(client, db, access_policy="gated")
    pi = await requester(client, db)
    r = await client.head(SCAN)
    assert r.status_code == 401 and r.headers["x-error-code"] == "GatedRepo"
    r = await client.get(SCAN, headers=pi)
    assert r.status_code == 403 and r.headers["x-error-code"] == "GatedRepo"
    assert "grant" in r.json()["error"]
    body = {"project": "wing-cfd", "purpose": PURPOSE}
    c = (
        await client.post("/api/v1/catalog/neuro/mri-model/requests", json=body, headers=pi)
    ).json()
    await client.post(f"/api/v1/access-requests/{c['id']}/agree", json={}, headers=owner)
    await client.post(f"/api/v1/access-requests/{c['id']}/finalize", headers=pi)
    head = await client.head(SCAN, headers=pi)
    assert head.status_code == 200 and head.headers["x-linked-etag"] == f'"{sha(b"two")}"'
    assert await _log(client, owner) == []  # a HEAD takes nothing
    r = await client.get(SCAN, headers={**pi, "X-Aifhub-Project": "wing-cfd"})
    assert r.status_code == 200 and r.content == b"two"
    r = await client.get("/neuro/mri-model/resolve/v1/scan.bin", headers=pi)
    assert r.content == b"one"
    rows = await _log(client, owner)
    assert [(e["version"], e["project"], e["user"]) for e in rows] == [
        ("v1", "wing-cfd", "pi@aero.example"),
        ("v2", "wing-cfd", "pi@aero.example"),
    ]
    # A revoked grant closes the door again.
    await client.post(f"/api/v1/access-requests/{c['id']}/terminate", json={}, headers=owner)
    r = await client.get(SCAN, headers=pi)
    assert r.status_code == 403 and r.headers["x-error-code"] == "GatedRepo"
    assert len(await _log(client, owner)) == 2


async def test_bad_paths_and_wrong_kind(client, db):
    owner = await _model(client, db)
    r = await client.get("/neuro/mri-model/resolve/main/a/%2E%2E/scan.bin", headers=owner)
    assert r.status_code == 422, r.text
    r = await client.get("/datasets/neuro/mri-model/resolve/main/scan.bin", headers=owner)
    assert r.status_code == 404 and r.headers["x-error-code"] == "RepoNotFound"
    r = await client.get("/neuro/mri-model/resolve/main/missing.bin", headers=owner)
    assert r.status_code == 404 and r.headers["x-error-code"] == "EntryNotFound"
    assert len(r.headers["x-repo-commit"]) == 40
    readme = await client.get("/neuro/mri-model/resolve/main/README.md")
    assert readme.status_code == 200 and b"MRI Model" in readme.content
