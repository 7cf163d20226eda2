"""Where dataset and model files live: a content-addressed store (local files by default)."""

from pathlib import Path

from aifhub.storage.base import (
    ChecksumMismatch,
    ObjectStore,
    StoredObject,
    TooLarge,
    is_sha256,
)
from aifhub.storage.local import LocalObjectStore, receive_stream

__all__ = [
    "ChecksumMismatch",
    "LocalObjectStore",
    "ObjectStore",
    "StoredObject",
    "TooLarge",
    "is_sha256",
    "receive_stream",
    "store_for",
]


def store_for(var_dir: Path) -> LocalObjectStore:
    """The object store of this installation: var_dir/objects on the local file system."""
    return LocalObjectStore(var_dir / "objects")
