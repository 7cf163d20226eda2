"""Catalogue endpoints of the SDK: `client.catalog` (search, push a folder, pull a version).

Checksums are verified on both ends: the client hashes before upload and the server checks;
the server sends X-Content-SHA256 and the client hashes what it wrote. A pull resumes
partial files with HTTP Range; a push skips files a draft already holds with the same digest.

    with Client.from_config(timeout=300) as c:
        c.catalog.push(Path("out/"), asset="neuroscan/mri-small", version="v2")
        c.catalog.pull("neuroscan/mri-small@v2", Path("data/"), project="brain-mri-seg")
"""

from __future__ import annotations

import builtins
import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aifhub.client.base import Resource
from aifhub.client.errors import ApiError, ClientError, StateConflict
from aifhub.schemas.catalog import FileRead, SearchResult, VersionRead

CHUNK = 1024 * 1024
Progress = Callable[[str, int, int], None]  # (path, bytes just done, file size)


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


def asset_path(asset: str) -> str:
    """The API path of an asset id `<namespace>/<name>`."""
    if asset.count("/") != 1:
        raise ClientError(f"'{asset}' is not an asset id; write <namespace>/<name>")
    return "/catalog/" + "/".join(quote(p, safe="") for p in asset.split("/"))


class Catalog(Resource):
    """`client.catalog`: datasets and models, their versions and files."""

    def search(self, q: str | None = None, **filters: Any) -> SearchResult:
        """Search the catalogue (filters: kind, task, license, language, sector, limit...)."""
        return self._call("GET", "/catalog", SearchResult, params={"q": q, **filters})

    def version(self, asset: str, label: str = "latest") -> VersionRead:
        """A version's description with its files."""
        path = f"{asset_path(asset)}/versions/{quote(label)}"
        return self._call("GET", path, VersionRead)

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
    ) -> VersionRead:
        """Upload a folder as a new version; rerunning after an interruption resumes it."""
        files = local_files(directory)
        if not files:
            raise ClientError(f"{directory} holds no files to push")
        base = asset_path(asset)
        try:
            self._client.request(
                "POST", f"{base}/versions", json={"label": version, "notes": notes}
            )
        except ApiError as exc:
            # 409: the label exists; resume it if it is still a draft.
            if exc.status != 409:
                raise
            if self.version(asset, version).state != "draft":
                raise StateConflict(
                    f"{asset}@{version} is already published; choose a new label"
                ) from None
        held = {f.path: f.sha256 for f in self.version(asset, version).files}
        for rel, path in files:
            digest = sha256_of(path, hashing, rel)
            size = path.stat().st_size
            if held.get(rel) == digest:
                if progress:
                    progress(rel, size, size)
                continue
            url = f"{base}/versions/{quote(version)}/files/{quote(rel)}"
            self._upload(url, path, digest, rel, progress)
        if publish:
            return self._call("POST", f"{base}/versions/{quote(version)}/publish", VersionRead)
        return self.version(asset, version)

    def _upload(
        self, url: str, path: Path, digest: str, rel: str, progress: Progress | None
    ) -> None:
        size = path.stat().st_size

        def chunks() -> Iterator[bytes]:
            with path.open("rb") as fh:
                while chunk := fh.read(CHUNK):
                    if progress:
                        progress(rel, len(chunk), size)
                    yield chunk

        headers = {"X-Content-SHA256": digest, "Content-Length": str(size)}
        self._client.request("PUT", url, content=chunks(), headers=headers)

    def pull(
        self,
        ref: str,
        dest: Path,
        *,
        project: str | None = None,
        progress: Progress | None = None,
    ) -> builtins.list[Path]:
        """Download a version (ref = asset[@label]) into dest; verified, resumable."""
        asset, _, label = ref.partition("@")
        info = self.version(asset, label or "latest")
        out = []
        for f in info.files:
            target = dest / f.path
            if not target.resolve().is_relative_to(dest.resolve()):
                raise ClientError(f"refusing to write outside {dest}: {f.path}")
            url = f"{asset_path(asset)}/versions/{quote(info.label)}/files/{quote(f.path)}"
            self._download(url, target, f, project, progress)
            out.append(target)
        return out

    def _download(
        self,
        url: str,
        target: Path,
        f: FileRead,
        project: str | None,
        progress: Progress | None,
    ) -> None:
        rel, size, expected = f.path, f.size, f.sha256
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
        with self._client.stream("GET", url, params={"project": project}, headers=headers) as r:
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
            raise ClientError(f"{rel}: checksum mismatch after download ({actual}); pull again")
        os.replace(part, target)
