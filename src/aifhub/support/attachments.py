"""Ticket attachments: allowed types, a size limit, bytes kept in a content-addressed folder."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.core.errors import InvalidInput, NotFound, PayloadTooLarge
from aifhub.support.errors import UnsupportedMediaType
from aifhub.support.models import Ticket, TicketAttachment, TicketMessage

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


def blob_path(var_dir: Path, sha256: str) -> Path:
    """Where the bytes of this digest live."""
    return var_dir / "attachments" / sha256[:2] / sha256


def store(var_dir: Path, f: CheckedFile) -> str:
    """Write the bytes under their digest (idempotent: the same content is stored once)."""
    digest = f.sha256
    path = blob_path(var_dir, digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(f.data)
        tmp.replace(path)
    return digest


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
