"""Ticket attachments: allowed types, a size limit, bytes kept in the object store.

The bytes live in the installation's content-addressed store, like the catalogue's files
(named by their SHA-256, so the same file attached twice is stored once). Attachments of
earlier versions, written to `<var>/attachments/ab/<sha256>`, are moved into the store when
the app or a worker starts (`adopt_legacy_files`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aifhub.core.errors import InvalidInput, NotFound, PayloadTooLarge
from aifhub.core.infra import Infrastructure
from aifhub.storage import ObjectStore, is_sha256, put_bytes
from aifhub.support.errors import UnsupportedMediaType
from aifhub.support.models import Ticket, TicketAttachment, TicketMessage

log = logging.getLogger("aifhub.support.attachments")

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 5
CHUNK = 64 * 1024

# Extension -> the content type we serve it as (never the client's claim).
ALLOWED: dict[str, str] = {
    ".txt": "text/plain",
    ".log": "text/plain",
    ".out": "text/plain",
    ".err": "text/plain",
    ".md": "text/markdown",
    ".csv": "text/csv",
    ".json": "application/json",
    ".yaml": "text/plain",
    ".yml": "text/plain",
    ".py": "text/plain",
    ".sh": "text/plain",
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}
# Binary formats must start with their signature, so a renamed executable is refused.
MAGIC = {
    "application/pdf": b"%PDF-",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
}


class Upload(Protocol):
    """What an uploaded file offers (Starlette's UploadFile fits)."""

    filename: str | None

    async def read(self, size: int = -1) -> bytes: ...


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed the checks, held in memory until it is stored."""

    filename: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _safe_name(name: str) -> str:
    base = os.path.basename(name.replace("\\", "/")).strip()
    return base[:200] or "file"


async def check_uploads(files: Sequence[Upload], *, max_bytes: int) -> list[CheckedFile]:
    """Read and check uploads: 415 for a type not allowed, 413 above the size limit."""
    if len(files) > MAX_FILES:
        raise InvalidInput(f"Attach at most {MAX_FILES} files to one message.")
    out = []
    allowed = ", ".join(sorted(ALLOWED))
    for f in files:
        name = _safe_name(f.filename or "")
        ext = Path(name).suffix.lower()
        ctype = ALLOWED.get(ext)
        if ctype is None:
            raise UnsupportedMediaType(
                f"'{name}' is not an allowed file type; allowed extensions: {allowed}."
            )
        buf = bytearray()
        while chunk := await f.read(CHUNK):
            buf += chunk
            if len(buf) > max_bytes:
                raise PayloadTooLarge(
                    f"'{name}' is larger than the {max_bytes // (1024 * 1024)} MiB limit; "
                    "compress it or share a link to it."
                )
        data = bytes(buf)
        magic = MAGIC.get(ctype)
        if magic and not data.startswith(magic):
            raise UnsupportedMediaType(f"'{name}' does not look like a {ext} file.")
        out.append(CheckedFile(name, ctype, data))
    return out


def save(store: ObjectStore, f: CheckedFile) -> str:
    """Put the bytes in the store under their digest (the same content is stored once)."""
    return put_bytes(store, f.data).sha256


def file_of(store: ObjectStore, attachment: TicketAttachment) -> Path:
    """The attachment's file in the store, or 404 when its bytes are missing."""
    path = store.local_path(attachment.sha256)
    if path is None or not path.exists():
        raise NotFound(
            f"The bytes of '{attachment.filename}' are missing from the store; "
            "ask its sender to attach it again."
        )
    return path


async def adopt_legacy_files(
    maker: async_sessionmaker[AsyncSession], infra: Infrastructure
) -> None:
    """Move attachments of the former `<var>/attachments/` layout into the object store."""
    moved = await asyncio.to_thread(move_into_store, infra.paths.var / "attachments", infra.store)
    if moved:
        log.info("moved %d ticket attachment(s) into the object store", moved)


def move_into_store(legacy: Path, store: ObjectStore) -> int:
    """Copy each `<legacy>/ab/<sha256>` file into the store, then remove it; returns how many.

    Each file is hashed on the way (a damaged one is left where it is, and logged), and is
    removed only once the store holds it, so a crash halfway loses nothing: the next start
    finishes the work. Several processes may do this at once; the store drops duplicates.
    """
    if not legacy.is_dir():
        return 0
    moved = 0
    for path in sorted(legacy.glob("??/*")):
        if not (path.is_file() and is_sha256(path.name)):
            continue
        try:
            if not store.exists(path.name) and not _copy_verified(path, store):
                log.error("attachment %s does not match its name; left in place", path)
                continue
        except FileNotFoundError:
            continue  # another process moved it meanwhile
        path.unlink(missing_ok=True)
        moved += 1
    # Empty folders go (another process may be emptying or removing them too).
    for folder in [*legacy.glob("??"), legacy]:
        with contextlib.suppress(OSError):
            folder.rmdir()
    return moved


def _copy_verified(path: Path, store: ObjectStore) -> bool:
    fd, name = tempfile.mkstemp(dir=store.temp_dir(), prefix="adopt-")
    tmp = Path(name)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out, path.open("rb") as src:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != path.name:
            return False
        store.put_file(tmp, path.name)
        return True
    finally:
        tmp.unlink(missing_ok=True)


async def of_message(session: AsyncSession, message_id: int) -> list[TicketAttachment]:
    """The attachments of one message, in the order they were sent."""
    return list(
        await session.scalars(
            select(TicketAttachment)
            .where(TicketAttachment.message_id == message_id)
            .order_by(TicketAttachment.id)
        )
    )


async def on_ticket(session: AsyncSession, ticket: Ticket, attachment_id: int) -> TicketAttachment:
    """An attachment of a message of this ticket (got through `tickets.get_ticket`), or 404."""
    found = await session.scalar(
        select(TicketAttachment)
        .join(TicketMessage, TicketMessage.id == TicketAttachment.message_id)
        .where(TicketAttachment.id == attachment_id, TicketMessage.ticket_id == ticket.id)
    )
    if found is None:
        raise NotFound(f"No attachment {attachment_id} on ticket #{ticket.id}.")
    return found
