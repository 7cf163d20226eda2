"""Versions and files: streamed upload, checksums, limits, path tricks, Range downloads."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from aifhub.catalog.models import AssetFile, AssetVersion
from aifhub.catalog.versions import check_file_path
from aifhub.core.errors import InvalidInput
from aifhub.core.infra import build_infrastructure

from .helpers import owner_with_asset, publish, sha

URL = "/api/v1/catalog/neuro/mri-small/versions"


def _objects(settings):
    root = build_infrastructure(settings).store.root
    files = [p.relative_to(root) for p in root.rglob("*") if p.is_file()] if root.exists() else []
    return sorted(p for p in files if p.parts[0] != "tmp"), [
        p for p in files if p.parts[0] == "tmp"
    ]


async def test_draft_upload_publish_download_with_range(client, db, settings):
    h = await owner_with_asset(client, db)
    data = bytes(range(256)) * 1000
    v = await publish(client, h, "neuro/mri-small", "v1", {"a/b.bin": data, "README.txt": b"hi"})
    assert v["state"] == "published" and v["total_bytes"] == len(data) + 2
    assert [f["path"] for f in v["files"]] == ["README.txt", "a/b.bin"]
    r = await client.get(f"{URL}/v1/files/a/b.bin", headers=h)
    assert r.status_code == 200 and r.content == data
    assert r.headers["x-content-sha256"] == sha(data)
    r = await client.get(f"{URL}/latest/files/a/b.bin", headers={**h, "Range": "bytes=10-19"})
    assert r.status_code == 206 and r.content == data[10:20]
    assert r.headers["content-range"] == f"bytes 10-19/{len(data)}"
    stored, tmp = _objects(settings)
    assert sha(data) in [p.name for p in stored] and tmp == []


async def test_published_versions_are_immutable(client, db):
    h = await owner_with_asset(client, db)
    await publish(client, h, "neuro/mri-small", "v1", {"x": b"1"})
    r = await client.put(
        f"{URL}/v1/files/y", content=b"2", headers={**h, "X-Content-SHA256": sha(b"2")}
    )
    assert r.status_code == 409 and "immutable" in r.json()["detail"]
    r = await client.post(URL, json={"label": "v1"}, headers=h)
    assert r.status_code == 409
    r = await client.post(f"{URL}/v1/publish", headers=h)
    assert r.status_code == 409


async def test_draft_invisible_until_published_and_empty_draft_not_publishable(client, db):
    h = await owner_with_asset(client, db)
    assert (await client.post(URL, json={"label": "v1"}, headers=h)).status_code == 201
    assert (await client.get(f"{URL}/v1")).status_code == 404
    # An asset with no published version is hidden from outsiders altogether.
    assert (await client.get(URL)).status_code == 404
    assert (await client.get(URL, headers=h)).json()[0]["state"] == "draft"
    r = await client.post(f"{URL}/v1/publish", headers=h)
    assert r.status_code == 409 and "no files" in r.json()["detail"]


async def test_checksum_mismatch_stores_nothing(client, db, settings):
    h = await owner_with_asset(client, db)
    await client.post(URL, json={"label": "v1"}, headers=h)
    before, _ = _objects(settings)
    r = await client.put(
        f"{URL}/v1/files/data.csv",
        content=b"a,b\n1,2\n",
        headers={**h, "X-Content-SHA256": sha(b"x")},
    )
    assert r.status_code == 422 and "Checksum mismatch" in r.json()["detail"]
    assert await db.scalar(select(func.count()).select_from(AssetFile)) == 0
    after, tmp = _objects(settings)
    assert after == before and tmp == []
    r = await client.put(
        f"{URL}/v1/files/data.csv", content=b"a", headers={**h, "X-Content-SHA256": "zz"}
    )
    assert r.status_code == 422 and "64 hex digits" in r.json()["detail"]


async def test_upload_over_the_limit_is_413(client, db, settings, app):
    h = await owner_with_asset(client, db)
    await client.post(URL, json={"label": "v1"}, headers=h)
    old = app.state.settings.max_upload_bytes
    app.state.settings.max_upload_bytes = 1000
    try:
        big = b"x" * 1001
        r = await client.put(
            f"{URL}/v1/files/big", content=big, headers={**h, "X-Content-SHA256": sha(big)}
        )
        assert r.status_code == 413 and "1000 bytes" in r.json()["detail"]

        async def chunked():  # no Content-Length: the limit is enforced while streaming
            for _ in range(5):
                yield b"y" * 300

        r = await client.put(
            f"{URL}/v1/files/big",
            content=chunked(),
            headers={**h, "X-Content-SHA256": sha(b"y" * 1500)},
        )
        assert r.status_code == 413
    finally:
        app.state.settings.max_upload_bytes = old
    assert await db.scalar(select(func.count()).select_from(AssetFile)) == 0
    assert _objects(settings)[1] == []


async def test_interrupted_upload_leaves_nothing_and_can_be_restarted(client, db, settings):
    h = await owner_with_asset(client, db)
    await client.post(URL, json={"label": "v1"}, headers=h)
    payload = b"z" * 5000

    async def broken():
        yield payload[:2000]
        raise ConnectionError("client went away")

    # In-process the client's own error reaches the app through `receive`: it either surfaces
    # back through the transport or becomes an error answer. Either way nothing is kept.
    try:
        r = await client.put(
            f"{URL}/v1/files/f.bin",
            content=broken(),
            headers={**h, "X-Content-SHA256": sha(payload)},
        )
    except Exception:  # noqa: BLE001
        r = None
    assert r is None or r.status_code >= 400
    assert await db.scalar(select(func.count()).select_from(AssetFile)) == 0
    assert _objects(settings)[1] == []
    r = await client.put(
        f"{URL}/v1/files/f.bin", content=payload, headers={**h, "X-Content-SHA256": sha(payload)}
    )
    assert r.status_code == 201
    state = await db.scalar(select(AssetVersion.state))
    assert state == "draft"


@pytest.mark.parametrize(
    "path",
    ["../etc/passwd", "a/../../b", "a/./b", "a//b", "a\\b", "a\x00b", "/abs", "C:x", "a/", "x/.."],
)
async def test_path_tricks_are_422(client, db, path):
    h = await owner_with_asset(client, db)
    await client.post(URL, json={"label": "v1"}, headers=h)
    r = await client.put(
        # Percent-encoded so that the client sends the trick as is, undone by the server.
        f"{URL}/v1/files/{quote(path, safe='')}",
        content=b"1",
        headers={**h, "X-Content-SHA256": sha(b"1")},
    )
    assert r.status_code == 422, r.text
    assert "path" in r.json()["detail"]
    assert await db.scalar(select(func.count()).select_from(AssetFile)) == 0


async def test_download_missing_file_or_version_is_404(client, db):
    h = await owner_with_asset(client, db)
    await publish(client, h, "neuro/mri-small", "v1", {"x": b"1"})
    assert (await client.get(f"{URL}/v1/files/nope", headers=h)).status_code == 404
    assert (await client.get(f"{URL}/v9/files/x", headers=h)).status_code == 404
    assert (await client.get(f"{URL}/v1/files/x")).status_code == 401


@pytest.mark.parametrize("path", ["", ".", "..", "a/.", "./a", "a\nb", "x" * 501])
def test_check_file_path_refuses(path):
    with pytest.raises(InvalidInput):
        check_file_path(path)


def test_check_file_path_accepts_plain_paths():
    assert check_file_path("data/train-00001.parquet") == "data/train-00001.parquet"
    assert check_file_path("é/名前.txt") == "é/名前.txt"
