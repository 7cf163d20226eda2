"""The local content-addressed store: var_dir/objects/ab/cd/<sha256>, written by rename."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO

from aifhub.storage.base import ChecksumMismatch, ObjectStore, StoredObject, TooLarge, is_sha256

FLUSH_BYTES = 4 * 1024 * 1024


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
    try:
        with os.fdopen(fd, "wb") as fh:
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(max_bytes)
                buffer.append(chunk)
                buffered += len(chunk)
                if buffered >= FLUSH_BYTES:
                    # Hash and write off the event loop: other requests keep being served.
                    await asyncio.to_thread(_write, fh, digest, b"".join(buffer))
                    buffer, buffered = [], 0
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
