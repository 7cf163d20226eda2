"""Where dataset and model files and ticket attachments live: a content-addressed store
(local files by default; the infrastructure builds the one of this installation)."""

from aifhub.storage.base import (
    ChecksumMismatch,
    ObjectStore,
    StoredObject,
    TooLarge,
    is_sha256,
)
from aifhub.storage.local import LocalObjectStore, put_bytes, receive_stream

__all__ = [
    "ChecksumMismatch",
    "LocalObjectStore",
    "ObjectStore",
    "StoredObject",
    "TooLarge",
    "is_sha256",
    "put_bytes",
    "receive_stream",
]
