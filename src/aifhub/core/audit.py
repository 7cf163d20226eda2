"""The audit log: one row per state change (who, what, which object, when, from where)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from aifhub.core import context
from aifhub.core.db import Base, utcnow


class AuditEvent(Base):
    """An immutable record of a state change."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # No foreign key: the log outlives what it talks about.
    actor_id: Mapped[int | None] = mapped_column(index=True)
    actor_label: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(80))
    client_addr: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


async def record(
    session: AsyncSession,
    action: str,
    object_type: str,
    object_id: object,
    **details: Any,
) -> AuditEvent:
    """Add an audit row for a change made in this session (committed with it)."""
    ctx = context.current()
    event = AuditEvent(
        at=utcnow(),
        actor_id=ctx.actor_id,
        actor_label=ctx.actor_label,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        client_addr=ctx.client_addr,
        details={k: _jsonable(v) for k, v in details.items()},
    )
    session.add(event)
    return event


def _jsonable(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


async def list_events(
    session: AsyncSession,
    *,
    limit: int,
    offset: int,
    action: str | None = None,
    object_type: str | None = None,
    actor_id: int | None = None,
) -> tuple[list[AuditEvent], int]:
    """Audit rows, newest first, with optional filters (staff only: the caller checks)."""
    query = select(AuditEvent)
    if action:
        query = query.where(AuditEvent.action == action)
    if object_type:
        query = query.where(AuditEvent.object_type == object_type)
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit).offset(offset))
    return list(rows), int(total or 0)
