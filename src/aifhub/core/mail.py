"""Outgoing e-mail through an outbox: queue in the transaction, deliver after the commit.

Every domain calls `queue_mail(session, ...)` inside its own transaction (its notifications
declare a `MailTemplate` each and queue it with `queue_notice`); nothing leaves the
machine until that transaction commits. Core's own periodic task `MAIL_DELIVERY`, which every
worker runs whichever domains are installed, then drains the outbox.

Rules (they are the contract other domains rely on):

- Idempotent by key: queueing twice with the same `key` keeps the first message only, so a
  notification ("allocation 12 reached 80%") fires once however often its check runs.
- Digest: a recipient's pending messages wait until the oldest of them is `DIGEST_WINDOW_S`
  old; then all of that person's pending messages leave as ONE e-mail (a digest when there are
  several). Notifications that fire together (a daily check, a decision plus its allocation)
  therefore reach a person as one e-mail.
- At-least-once: a worker claims rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several
  workers share the outbox) by pushing `available_at` a lease ahead and commits; it sends, then
  marks them sent. A crash between sending and marking lets the lease expire and the mail is
  sent again: a person may get a duplicate, never nothing.
- Failures back off exponentially; after `MAX_ATTEMPTS` a message stays unsent with its
  `last_error` for the staff to see.
- With no `[mail] host` in the site file (the embedded default) messages go to the log.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from sqlalchemy import ColumnElement, Index, String, Text, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from aifhub.core.config import MailConfig
from aifhub.core.db import Base, utcnow
from aifhub.core.metrics import GaugeSamples
from aifhub.core.modules import Periodic, TaskContext

log = logging.getLogger("aifhub.mail")

DIGEST_WINDOW_S = 300  # how long the first pending message of a person waits for company
LEASE_S = 300  # a claimed row is invisible to other workers this long
MAX_ATTEMPTS = 8
BATCH_RECIPIENTS = 50
# Kinds whose message leaves at the next delivery round, never held for a digest: a link the
# person is waiting for on the page (address verification, password reset). Filled by
# `MailTemplate(urgent=True)`.
URGENT_KINDS: set[str] = set()


class MailMessage(Base):
    """One notification waiting for (or done with) delivery."""

    __tablename__ = "mail_messages"
    __table_args__ = (Index("ix_mail_pending", "sent_at", "available_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(320), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(60))
    key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Not before this time: the lease of a claiming worker, or the back-off after a failure.
    available_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))


async def queue_mail(
    session: AsyncSession, *, to: str, subject: str, body: str, kind: str, key: str
) -> MailMessage:
    """Queue an e-mail in the caller's transaction; a second call with the same key is a no-op."""
    msg, _ = await queue_mail_once(session, to=to, subject=subject, body=body, kind=kind, key=key)
    return msg


async def queue_mail_once(
    session: AsyncSession, *, to: str, subject: str, body: str, kind: str, key: str
) -> tuple[MailMessage, bool]:
    """Like queue_mail, also saying whether this call queued it (False: the key was known)."""
    existing = await session.scalar(select(MailMessage).where(MailMessage.key == key))
    if existing is not None:
        return existing, False
    msg = MailMessage(
        recipient=to.strip().lower(),
        subject=subject[:300],
        body=body,
        kind=kind,
        key=key,
        created_at=utcnow(),
    )
    try:
        async with session.begin_nested():
            session.add(msg)
    except IntegrityError:  # a concurrent transaction queued the same key first
        found = await session.scalar(select(MailMessage).where(MailMessage.key == key))
        if found is None:
            raise
        return found, False
    return msg, True


@dataclass(frozen=True)
class MailTemplate:
    """One kind of notification e-mail: its kind and its dedup key, subject and body templates.

    The templates are `str.format` strings (`{app.id}`, `{alloc.ends_at:%Y-%m-%d}`) filled from
    the keyword arguments of :func:`queue_notice`, plus `{to}`, the recipient's address. They
    are constants of the code, never text a user wrote: format strings reach attributes.
    """

    kind: str
    key: str
    subject: str
    body: str
    urgent: bool = False

    def __post_init__(self) -> None:
        if self.urgent:
            URGENT_KINDS.add(self.kind)


async def queue_notice(
    session: AsyncSession, template: MailTemplate, *, to: str, **fields: Any
) -> bool:
    """Queue the e-mail a template gives for these fields; False when its key was queued before."""
    values = {**fields, "to": to}
    _, new = await queue_mail_once(
        session,
        to=to,
        subject=template.subject.format_map(values),
        body=template.body.format_map(values),
        kind=template.kind,
        key=template.key.format_map(values),
    )
    return new


@dataclass(frozen=True)
class Outgoing:
    """One e-mail as it leaves: a single message or a digest of several."""

    recipient: str
    subject: str
    body: str
    message_ids: tuple[int, ...]


def compose(recipient: str, messages: list[MailMessage], *, factory: str = "aifhub") -> Outgoing:
    """One e-mail for a person's pending messages (the message itself when there is one)."""
    ids = tuple(m.id for m in messages)
    if len(messages) == 1:
        m = messages[0]
        return Outgoing(recipient, m.subject, m.body, ids)
    parts = [f"You have {len(messages)} notifications from {factory}.", ""]
    for i, m in enumerate(messages, 1):
        parts += [f"{i}. {m.subject}", "-" * min(len(m.subject) + 3, 72), m.body.rstrip(), ""]
    subject = f"{factory}: {len(messages)} notifications ({messages[0].subject}, ...)"
    return Outgoing(recipient, subject[:300], "\n".join(parts), ids)


def _pending(now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        MailMessage.sent_at.is_(None),
        MailMessage.attempts < MAX_ATTEMPTS,
        or_(MailMessage.available_at.is_(None), MailMessage.available_at <= now),
    )


async def claim_batch(
    session: AsyncSession, *, now: datetime, window_s: float = DIGEST_WINDOW_S
) -> list[Outgoing]:
    """Claim the pending messages of recipients whose digest window has closed (one e-mail each)."""
    waited = MailMessage.created_at <= now - timedelta(seconds=window_s)
    due = (
        select(MailMessage.recipient)
        .where(*_pending(now), or_(waited, MailMessage.kind.in_(sorted(URGENT_KINDS))))
        .distinct()
        .limit(BATCH_RECIPIENTS)
    )
    query = (
        select(MailMessage)
        .where(*_pending(now), MailMessage.recipient.in_(due))
        .order_by(MailMessage.recipient, MailMessage.id)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(await session.scalars(query))
    lease = now + timedelta(seconds=LEASE_S)
    grouped: dict[str, list[MailMessage]] = {}
    for m in rows:
        m.available_at = lease
        m.attempts += 1
        grouped.setdefault(m.recipient, []).append(m)
    return [compose(r, ms) for r, ms in grouped.items()]


def build_email(out: Outgoing, cfg: MailConfig) -> EmailMessage:
    """The RFC 5322 message for one outgoing e-mail."""
    msg = EmailMessage()
    msg["From"] = cfg.sender
    msg["To"] = out.recipient
    msg["Subject"] = out.subject
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = make_msgid(domain="aifhub")
    msg.set_content(out.body)
    return msg


def send_smtp(cfg: MailConfig, messages: list[EmailMessage]) -> dict[str, str]:
    """Send over one SMTP connection; returns the error text per failed message id header."""
    errors: dict[str, str] = {}
    assert cfg.host is not None
    with smtplib.SMTP(cfg.host, cfg.port, timeout=30) as smtp:
        if cfg.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if cfg.username:
            smtp.login(cfg.username, cfg.password or "")
        for msg in messages:
            try:
                smtp.send_message(msg)
            except smtplib.SMTPException as exc:
                errors[str(msg["Message-ID"])] = str(exc)[:500]
    return errors


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2**attempts, 3600))


async def deliver_pending(
    maker: async_sessionmaker[AsyncSession],
    cfg: MailConfig,
    *,
    window_s: float = DIGEST_WINDOW_S,
    now: datetime | None = None,
) -> int:
    """Claim, send and mark one batch; returns how many e-mails left (or were logged)."""
    now = now or utcnow()
    async with maker() as session:
        outgoing = await claim_batch(session, now=now, window_s=window_s)
        await session.commit()
    if not outgoing:
        return 0
    emails = [build_email(o, cfg) for o in outgoing]
    errors: dict[str, str] = {}
    if cfg.host:
        try:
            errors = await asyncio.to_thread(send_smtp, cfg, emails)
        except (OSError, smtplib.SMTPException) as exc:
            errors = {str(e["Message-ID"]): f"{type(exc).__name__}: {exc}"[:500] for e in emails}
    else:
        for o in outgoing:
            log.info("mail to %s: %s\n%s", o.recipient, o.subject, o.body)
    done = utcnow()
    sent = 0
    async with maker() as session:
        for out, email in zip(outgoing, emails, strict=True):
            error = errors.get(str(email["Message-ID"]))
            rows = await session.scalars(
                select(MailMessage).where(MailMessage.id.in_(out.message_ids))
            )
            for m in rows:
                if error is None:
                    m.sent_at, m.last_error = done, None
                else:
                    m.last_error, m.available_at = error, now + _backoff(m.attempts)
            if error is None:
                sent += 1
            else:
                log.warning("mail to %s failed: %s", out.recipient, error)
        await session.commit()
    return sent


async def deliver_mail(ctx: TaskContext) -> int:
    """Worker task: deliver the outbox through the site file's [mail] server (or the log)."""
    return await deliver_pending(ctx.maker, ctx.infra.site.mail)


MAIL_DELIVERY = Periodic("mail.deliver", 30.0, deliver_mail)


async def mail_gauges(session: AsyncSession) -> Sequence[GaugeSamples]:
    """The mail outbox: messages waiting to be sent, and those that failed at least once."""
    waiting, retried = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(MailMessage.attempts > 0),
            ).where(MailMessage.sent_at.is_(None))
        )
    ).one()
    return [
        GaugeSamples(
            "aifhub_mail_backlog", "Mail messages not sent yet", (), [((), float(waiting))]
        ),
        GaugeSamples(
            "aifhub_mail_retrying",
            "Unsent mail messages that failed at least once",
            (),
            [((), float(retried))],
        ),
    ]
