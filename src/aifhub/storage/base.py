"""The interface of a content-addressed object store.

Objects are named by the SHA-256 of their bytes, so writing the same content twice is a no-op
and a half-written upload never has a name. A store has four operations; an S3-compatible
store implements the same protocol (put = multipart upload then copy to the hash key,
open/exists = GET/HEAD on the key, local_path = None since objects are streamed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def is_sha256(value: str) -> bool:
    """True for a lower-case hexadecimal SHA-256 digest."""
    return bool(_SHA256.match(value))


class TooLarge(Exception):
    """The stream passed the size limit; nothing was stored."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} bytes")
        self.limit = limit


class ChecksumMismatch(Exception):
    """The bytes received do not hash to the declared digest; nothing was stored."""

    def __init__(self, expected: str, actual: str, size: int) -> None:
        super().__init__(f"expected sha256 {expected}, received {actual} ({size} bytes)")
        self.expected, self.actual, self.size = expected, actual, size


@dataclass(frozen=True)
class StoredObject:
    """An object in the store."""

    sha256: str
    size: int


class ObjectStore(Protocol):
    """A content-addressed store of immutable objects."""

    def put_file(self, tmp: Path, sha256: str) -> StoredObject:
        """Move a complete, verified temporary file into the store under its digest."""
        ...

    def exists(self, sha256: str) -> bool:
        """True when the object is stored."""
        ...

    def open(self, sha256: str) -> BinaryIO:
        """Open an object for reading (FileNotFoundError when absent)."""
        ...

    def local_path(self, sha256: str) -> Path | None:
        """The object's path on this machine's file system, when the store is local."""
        ...

    def temp_dir(self) -> Path:
        """Where partial uploads are written (same file system as the objects)."""
        ...
