"""The local content-addressed store: <var>/objects/ab/cd/<sha256>, written by rename."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO

from aifhub.storage.base import ChecksumMismatch, ObjectStore, StoredObject, TooLarge, is_sha256

FLUSH_BYTES = 4 * 1024 * 1024
# A slow upload still writes this often, so its temp file never looks abandoned to the sweep.
FLUSH_SECONDS = 60.0


class LocalObjectStore:
    """Objects as read-only files sharded by the first two bytes of their hash."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._tmp = root / "tmp"

    def _path(self, sha256: str) -> Path:
        if not is_sha256(sha256):
            raise ValueError(f"not a sha256 digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def temp_dir(self) -> Path:
        """Partial uploads live here, on the same file system, so the final move is a rename."""
        self._tmp.mkdir(parents=True, exist_ok=True)
        return self._tmp

    def sweep_temp(self, older_than_s: float) -> list[Path]:
        """Remove partial uploads nobody has written to for older_than_s seconds.

        Several processes may share the store, so a young temp file can belong to a live
        upload elsewhere: only files whose last write is older than the threshold go (an
        upload in progress writes every few megabytes, bumping its modification time).
        """
        if not self._tmp.is_dir():
            return []
        cutoff = time.time() - older_than_s
        removed = []
        for path in self._tmp.iterdir():
            try:
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed.append(path)
            except FileNotFoundError:
                continue  # finished or swept by another process meanwhile
        return removed

    def put_file(self, tmp: Path, sha256: str) -> StoredObject:
        """Rename a verified temporary file into place (atomic; a duplicate is dropped)."""
        dest = self._path(sha256)
        size = tmp.stat().st_size
        if dest.exists():
            tmp.unlink()
            return StoredObject(sha256, size)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp.chmod(0o444)
        os.replace(tmp, dest)
        return StoredObject(sha256, size)

    def exists(self, sha256: str) -> bool:
        """True when the object is stored."""
        return self._path(sha256).exists()

    def open(self, sha256: str) -> BinaryIO:
        """Open an object for reading."""
        return self._path(sha256).open("rb")

    def local_path(self, sha256: str) -> Path | None:
        """The object's file."""
        return self._path(sha256)


def put_bytes(store: ObjectStore, data: bytes) -> StoredObject:
    """Store bytes already in memory under their digest (the same content is stored once)."""
    fd, name = tempfile.mkstemp(dir=store.temp_dir(), prefix="put-")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        return store.put_file(tmp, hashlib.sha256(data).hexdigest())
    finally:
        tmp.unlink(missing_ok=True)  # put_file moved it, unless it failed


def _write(fh: BinaryIO, digest: hashlib._Hash, chunk: bytes) -> None:
    fh.write(chunk)
    digest.update(chunk)


async def receive_stream(
    store: ObjectStore,
    chunks: AsyncIterator[bytes],
    *,
    expected_sha256: str,
    max_bytes: int,
) -> StoredObject:
    """Stream bytes to a temporary file while hashing; store them only if complete and verified.

    Raises TooLarge past max_bytes and ChecksumMismatch when the digest differs; in both
    cases, and when the client disconnects, the temporary file is removed.
    """
    fd, name = tempfile.mkstemp(dir=store.temp_dir(), prefix="upload-")
    tmp = Path(name)
    digest = hashlib.sha256()
    size = 0
    buffer: list[bytes] = []
    buffered = 0
    last_write = time.monotonic()
    try:
        with os.fdopen(fd, "wb") as fh:
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(max_bytes)
                buffer.append(chunk)
                buffered += len(chunk)
                if buffered >= FLUSH_BYTES or time.monotonic() - last_write > FLUSH_SECONDS:
                    # Hash and write off the event loop: other requests keep being served.
                    await asyncio.to_thread(_write, fh, digest, b"".join(buffer))
                    buffer, buffered = [], 0
                    last_write = time.monotonic()
            if buffer:
                await asyncio.to_thread(_write, fh, digest, b"".join(buffer))
            fh.flush()
            os.fsync(fh.fileno())
        actual = digest.hexdigest()
        if actual != expected_sha256:
            raise ChecksumMismatch(expected_sha256, actual, size)
        return await asyncio.to_thread(store.put_file, tmp, actual)
    finally:
        tmp.unlink(missing_ok=True)  # noqa: ASYNC240 (one unlink, no wait)
