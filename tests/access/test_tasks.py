"""The worker tasks end to end: allocations move by date, notices are queued, mail goes out."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select, update

from aifhub.access.models import Allocation
from aifhub.access.module import module as access_module
from aifhub.core.db import make_sessionmaker, utcnow
from aifhub.core.infra import build_infrastructure
from aifhub.core.mail import MAIL_DELIVERY, MailMessage
from aifhub.identity.models import Project
from aifhub.resources.models import Partition
from aifhub.worker import Worker

from .helpers import world


async def test_worker_runs_access_tasks_and_delivers_a_digest(
    client, db, engine, settings, smtp_server, tmp_path
):
    inbox, cfg = smtp_server
    site = tmp_path / "site.toml"
    site.write_text(f'[mail]\nhost = "127.0.0.1"\nport = {cfg.port}\nsender = "hub@f.eu"\n')
    w = await world(client, db)
    project_id = await db.scalar(select(Project.id).where(Project.slug == w.project))
    part_id = await db.scalar(select(Partition.id).where(Partition.key == "jz/v100"))
    now = utcnow()
    db.add(
        Allocation(
            project_id=project_id,
            partition_id=part_id,
            amount=Decimal(100),
            state="scheduled",
            starts_at=now - timedelta(minutes=1),
            ends_at=now + timedelta(days=5),
        )
    )
    await db.commit()
    worker = Worker(
        make_sessionmaker(engine),
        build_infrastructure(settings.model_copy(update={"site_file": site})),
        tasks=[MAIL_DELIVERY, *access_module.periodic],
    )
    done = await worker.run_once()
    assert done["access.allocation_states"] == 1 and done["access.allocation_notices"] == 1
    assert done["mail.deliver"] == 0  # the digest window is still open
    assert (await worker.run_once())["access.allocation_notices"] == 0  # each notice once
    # The window closes (messages made older), the next run sends one e-mail.
    await db.execute(update(MailMessage).values(created_at=utcnow() - timedelta(minutes=10)))
    await db.commit()
    assert (await worker.run_once())["mail.deliver"] == 1
    (mail,) = inbox.to("pi-a@a.example")
    assert mail["From"] == "hub@f.eu" and "2 notifications" in mail["Subject"]
    assert "is active" in mail.get_payload() and "ends in 7 days" in mail.get_payload()
