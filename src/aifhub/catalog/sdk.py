"""The data SDK: push a folder as a version, pull a version into a folder, search.

Checksums are verified on both ends: the client hashes before upload and the server checks;
the server sends X-Content-SHA256 and the client hashes what it wrote. A pull resumes
partial files with HTTP Range; a push skips files a draft already holds with the same digest.

    with DataClient("https://aifhub.example.eu", token="aifh_...") as c:
        c.push(Path("out/"), asset="neuroscan/mri-small", version="v2")
        c.pull("neuroscan/mri-small@v2", Path("data/"), project="brain-mri-seg")
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

CHUNK = 1024 * 1024
Progress = Callable[[str, int, int], None]  # (path, bytes just done, file size)


class DataError(Exception):
    """A failed data operation, with the server's explanation when there is one."""


def client_settings() -> tuple[str, str | None]:
    """Server URL and token: AIFHUB_URL/AIFHUB_TOKEN, else the CLI's config file."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    path = Path(base) / "aifhub" / "config.toml"
    data: dict[str, Any] = {}
    if path.exists():
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    url = os.environ.get("AIFHUB_URL") or data.get("url") or "http://127.0.0.1:8000"
    token = os.environ.get("AIFHUB_TOKEN") or data.get("token")
    return str(url), token


def sha256_of(path: Path, progress: Progress | None = None, label: str = "") -> str:
    """The SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    size = path.stat().st_size
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            if progress:
                progress(label, len(chunk), size)
    return digest.hexdigest()


def local_files(directory: Path) -> list[tuple[str, Path]]:
    """Regular files under a folder as (relative POSIX path, file), skipping symlinks."""
    out = []
    for path in sorted(directory.rglob("*")):
        if path.is_file() and not path.is_symlink():
            out.append((path.relative_to(directory).as_posix(), path))
    return out


def _asset_path(asset: str) -> str:
    if asset.count("/") != 1:
        raise DataError(f"'{asset}' is not an asset id; write <namespace>/<name>")
    return "/catalog/" + "/".join(quote(p, safe="") for p in asset.split("/"))


def _error(r: httpx.Response) -> DataError:
    try:
        body = r.json()
        detail = body.get("detail") or body.get("title")
    except ValueError:
        detail = r.text[:300]
    return DataError(f"HTTP {r.status_code}: {detail}")


class DataClient:
    """A synchronous client of the catalogue's data endpoints."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = 300.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(
            base_url=base_url.rstrip("/") + "/api/v1",
            headers=headers,
            timeout=timeout,
            transport=transport,
        )

    def __enter__(self) -> DataClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def _json(self, method: str, url: str, **kw: Any) -> Any:
        r = self._http.request(method, url, **kw)
        if r.status_code >= 400:
            raise _error(r)
        return r.json() if r.content else None

    def search(self, q: str | None = None, **filters: Any) -> dict[str, Any]:
        """Search the catalogue (filters: kind, task, license, language, sector...)."""
        params = {k: v for k, v in {"q": q, **filters}.items() if v is not None}
        return dict(self._json("GET", "/catalog", params=params))

    def version(self, asset: str, label: str = "latest") -> dict[str, Any]:
        """A version's description with its files."""
        return dict(self._json("GET", f"{_asset_path(asset)}/versions/{quote(label)}"))

    def push(
        self,
        directory: Path,
        *,
        asset: str,
        version: str,
        notes: str = "",
        publish: bool = True,
        progress: Progress | None = None,
        hashing: Progress | None = None,
    ) -> dict[str, Any]:
        """Upload a folder as a new version; rerunning after an interruption resumes it."""
        files = local_files(directory)
        if not files:
            raise DataError(f"{directory} holds no files to push")
        base = _asset_path(asset)
        r = self._http.post(f"{base}/versions", json={"label": version, "notes": notes})
        if r.status_code == 409:
            current = self.version(asset, version)
            if current["state"] != "draft":
                raise DataError(f"{asset}@{version} is already published; choose a new label")
        elif r.status_code >= 400:
            raise _error(r)
        held = {f["path"]: f["sha256"] for f in self.version(asset, version)["files"]}
        for rel, path in files:
            digest = sha256_of(path, hashing, rel)
            size = path.stat().st_size
            if held.get(rel) == digest:
                if progress:
                    progress(rel, size, size)
                continue
            self._upload(f"{base}/versions/{quote(version)}/files/{quote(rel)}", path, digest,
                         rel, progress)  # fmt: skip
        if publish:
            return dict(self._json("POST", f"{base}/versions/{quote(version)}/publish"))
        return self.version(asset, version)

    def _upload(
        self, url: str, path: Path, digest: str, rel: str, progress: Progress | None
    ) -> None:
        size = path.stat().st_size

        def body() -> Iterator[bytes]:
            with path.open("rb") as fh:
                while chunk := fh.read(CHUNK):
                    if progress:
                        progress(rel, len(chunk), size)
                    yield chunk

        headers = {"X-Content-SHA256": digest, "Content-Length": str(size)}
        r = self._http.put(url, content=body(), headers=headers)
        if r.status_code >= 400:
            raise _error(r)

    def pull(
        self,
        ref: str,
        dest: Path,
        *,
        project: str | None = None,
        progress: Progress | None = None,
    ) -> list[Path]:
        """Download a version (ref = asset[@label]) into dest; verified, resumable."""
        asset, _, label = ref.partition("@")
        info = self.version(asset, label or "latest")
        out = []
        for f in info["files"]:
            target = dest / f["path"]
            if not target.resolve().is_relative_to(dest.resolve()):
                raise DataError(f"refusing to write outside {dest}: {f['path']}")
            url = f"{_asset_path(asset)}/versions/{quote(info['label'])}/files/{quote(f['path'])}"
            self._download(url, target, f, project, progress)
            out.append(target)
        return out

    def _download(
        self,
        url: str,
        target: Path,
        f: dict[str, Any],
        project: str | None,
        progress: Progress | None,
    ) -> None:
        rel, size, expected = f["path"], int(f["size"]), f["sha256"]
        if target.exists() and target.stat().st_size == size and sha256_of(target) == expected:
            if progress:
                progress(rel, size, size)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + ".part")
        have = part.stat().st_size if part.exists() else 0
        if have > size:
            part.unlink()
            have = 0
        headers = {"Range": f"bytes={have}-"} if 0 < have < size else {}
        params = {"project": project} if project else {}
        with self._http.stream("GET", url, params=params, headers=headers) as r:
            if r.status_code >= 400:
                r.read()
                raise _error(r)
            if r.status_code != 206:
                have = 0
            if progress and have:
                progress(rel, have, size)
            with part.open("ab" if have else "wb") as fh:
                for chunk in r.iter_bytes(CHUNK):
                    fh.write(chunk)
                    if progress:
                        progress(rel, len(chunk), size)
            announced = r.headers.get("x-content-sha256")
        actual = sha256_of(part)
        if actual != expected or (announced and announced != expected):
            part.unlink()
            raise DataError(f"{rel}: checksum mismatch after download ({actual}); pull again")
        os.replace(part, target)
