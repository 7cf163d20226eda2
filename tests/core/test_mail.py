"""The mail outbox against a real SMTP server (aiosmtpd on a free port)."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import func, select

from aifhub.core.config import MailConfig
from aifhub.core.db import make_sessionmaker, utcnow
from aifhub.core.mail import (
    MailMessage,
    MailTemplate,
    deliver_pending,
    queue_mail,
    queue_notice,
)

from ..smtp_server import free_port


async def test_single_message_and_digest(db, engine, smtp_server):
    inbox, cfg = smtp_server
    maker = make_sessionmaker(engine)
    await queue_mail(db, to="Ada@x.eu", subject="Receipt", body="We got it.", kind="a", key="k1")
    await queue_mail(db, to="ada@x.eu", subject="Decision", body="Accepted.", kind="b", key="k2")
    await queue_mail(db, to="bob@x.eu", subject="Alone", body="Just one.", kind="a", key="k3")
    await db.commit()
    # Inside the digest window nothing leaves.
    assert await deliver_pending(maker, cfg) == 0
    assert inbox.messages == []
    later = utcnow() + timedelta(minutes=10)
    assert await deliver_pending(maker, cfg, now=later) == 2
    by_to = {m["To"]: m for m in inbox.messages}
    assert set(by_to) == {"ada@x.eu", "bob@x.eu"}
    digest = by_to["ada@x.eu"].get_payload()
    assert "2 notifications" in by_to["ada@x.eu"]["Subject"]
    assert "Receipt" in digest and "Accepted." in digest
    assert by_to["bob@x.eu"]["Subject"] == "Alone"
    assert by_to["bob@x.eu"]["From"] == "Factory <noreply@f.eu>"
    sent = await db.scalar(select(func.count()).where(MailMessage.sent_at.is_not(None)))
    assert sent == 3
    # Nothing is sent twice.
    assert await deliver_pending(maker, cfg, now=later + timedelta(hours=1)) == 0
    assert len(inbox.messages) == 2


async def test_same_key_is_queued_once(db):
    for _ in range(3):
        await queue_mail(db, to="a@x.eu", subject="80%", body="b", kind="usage", key="alloc:1:80")
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(MailMessage)) == 1


async def test_failure_backs_off_then_succeeds(db, engine, smtp_server):
    inbox, cfg = smtp_server
    maker = make_sessionmaker(engine)
    await queue_mail(db, to="a@x.eu", subject="S", body="B", kind="k", key="once")
    await db.commit()
    later = utcnow() + timedelta(minutes=10)
    down = MailConfig(host="127.0.0.1", port=free_port())  # nothing listens there
    assert await deliver_pending(maker, down, now=later) == 0
    db.expire_all()
    row = await db.scalar(select(MailMessage))
    assert row.sent_at is None and row.attempts == 1 and row.last_error
    # Still backing off just after the failure, delivered once the back-off has passed.
    assert await deliver_pending(maker, cfg, now=later) == 0
    assert await deliver_pending(maker, cfg, now=later + timedelta(hours=2)) == 1
    assert len(inbox.messages) == 1


async def test_crash_after_send_resends_after_lease(db, engine, smtp_server):
    """A worker that claimed then died: the lease expires and the mail goes out (at least once)."""
    from aifhub.core.mail import claim_batch

    inbox, cfg = smtp_server
    maker = make_sessionmaker(engine)
    await queue_mail(db, to="a@x.eu", subject="S", body="B", kind="k", key="lost")
    await db.commit()
    later = utcnow() + timedelta(minutes=10)
    async with maker() as s:
        assert len(await claim_batch(s, now=later)) == 1
        await s.commit()  # claimed, then the process "crashed" before marking sent
    assert await deliver_pending(maker, cfg, now=later + timedelta(seconds=1)) == 0
    assert await deliver_pending(maker, cfg, now=later + timedelta(minutes=10)) == 1
    assert len(inbox.messages) == 1


async def test_no_host_writes_to_log(db, engine, caplog):
    maker = make_sessionmaker(engine)
    await queue_mail(db, to="a@x.eu", subject="Hello", body="Body", kind="k", key="log")
    await db.commit()
    with caplog.at_level("INFO", logger="aifhub.mail"):
        n = await deliver_pending(maker, MailConfig(), now=utcnow() + timedelta(minutes=10))
    assert n == 1 and "Hello" in caplog.text


async def test_queue_notice_fills_its_template_once_per_key(db):
    """A template is filled from the fields (attributes, format specs, `to`), keyed per person."""
    notice = MailTemplate(
        kind="demo.due",
        key="demo:{item.id}:{to}",
        subject="Item #{item.id} due {item.due:%Y-%m-%d}",
        body="{item.title} ({literal}) is due.",
    )
    item = SimpleNamespace(id=7, title="Report {draft}", due=datetime(2026, 5, 4, 12, 30))
    fields = {"item": item, "literal": "{not a field}"}
    assert await queue_notice(db, notice, to="Ada@x.eu", **fields) is True
    assert await queue_notice(db, notice, to="Ada@x.eu", **fields) is False
    assert await queue_notice(db, notice, to="bob@x.eu", **fields) is True
    await db.commit()
    rows = list(await db.scalars(select(MailMessage).order_by(MailMessage.id)))
    assert [(m.recipient, m.key) for m in rows] == [
        ("ada@x.eu", "demo:7:Ada@x.eu"),
        ("bob@x.eu", "demo:7:bob@x.eu"),
    ]
    assert rows[0].kind == "demo.due"
    assert rows[0].subject == "Item #7 due 2026-05-04"
    # Values are never re-read as templates: braces in them stay as written.
    assert rows[0].body == "Report {draft} ({not a field}) is due."


async def test_a_link_someone_waits_for_leaves_at_the_next_round(db, engine, smtp_server):
    # A sign-up link held five minutes for a digest would leave a newcomer staring at the page.
    inbox, cfg = smtp_server
    maker = make_sessionmaker(engine)
    link = MailTemplate(kind="test.link", key="link:{n}", subject="Link", body="{n}", urgent=True)
    await queue_notice(db, link, to="new@x.eu", n=1)
    await queue_mail(db, to="old@x.eu", subject="News", body="b", kind="news", key="news:1")
    await db.commit()
    assert await deliver_pending(maker, cfg) == 1
    assert [m["To"] for m in inbox.messages] == ["new@x.eu"]
    # The sign-up and password links are such mails.
    from aifhub.identity import notifications

    assert notifications.VERIFY_EMAIL.urgent and notifications.PASSWORD_RESET.urgent
