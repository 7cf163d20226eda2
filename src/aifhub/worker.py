"""The background loop: core's and each domain's periodic tasks, run until told to stop.

A task is `async def task(ctx: TaskContext) -> int` (how much work it did); a domain lists
its tasks as `Periodic(...)` entries of its module object (`<domain>/module.py`). Core's own
tasks (the mail outbox) run whichever domains are installed. Several workers may run at
once: tasks claim rows with `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aifhub.core.config import Settings
from aifhub.core.db import make_engine, make_sessionmaker
from aifhub.core.infra import Infrastructure, build_infrastructure
from aifhub.core.mail import MAIL_DELIVERY
from aifhub.core.metrics import TASK_FAILURES, TASK_RUNS
from aifhub.core.migrate import check_migrated
from aifhub.core.modules import Assembly, Periodic, TaskContext
from aifhub.domains import DOMAINS

log = logging.getLogger("aifhub.worker")

CORE_TASKS = (MAIL_DELIVERY,)


def collect_tasks(domains: Assembly = DOMAINS) -> list[Periodic]:
    """Core's periodic tasks, then every domain's."""
    return [*CORE_TASKS, *domains.periodic]


class Worker:
    """Runs the periodic tasks until stop() is called; one failing task never stops the rest."""

    def __init__(
        self,
        maker: async_sessionmaker[AsyncSession],
        infra: Infrastructure,
        *,
        domains: Assembly = DOMAINS,
        tasks: Sequence[Periodic] | None = None,
    ) -> None:
        # The infrastructure is its builder's (the app or run_worker): it closes it.
        self.context = TaskContext(maker, infra, domains.provides)
        self.tasks = collect_tasks(domains) if tasks is None else list(tasks)
        self._stop = asyncio.Event()

    def stop(self) -> None:
        """Ask the loop to finish its current step and return."""
        self._stop.set()

    async def run_once(self) -> dict[str, int]:
        """Run every task once (tests and `aifhub worker --once`)."""
        done: dict[str, int] = {}
        for task in self.tasks:
            done[task.name] = await self._run_task(task)
        return done

    async def _run_task(self, task: Periodic) -> int:
        TASK_RUNS.labels(task.name).inc()
        try:
            return await task.run(self.context)
        except Exception:
            TASK_FAILURES.labels(task.name).inc()
            log.exception("task %s failed; it will be retried", task.name)
            return 0

    async def _loop(self, task: Periodic) -> None:
        while not self._stop.is_set():
            did = await self._run_task(task)
            delay = 0.05 if did else task.interval_s
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=delay)
            except TimeoutError:
                pass

    async def run(self) -> None:
        """Run every task in its own loop until stop()."""
        log.info("worker started with %d tasks: %s", len(self.tasks), [t.name for t in self.tasks])
        await asyncio.gather(*(self._loop(t) for t in self.tasks), self._stop.wait())
        log.info("worker stopped")


@asynccontextmanager
async def standalone_worker(
    settings: Settings, *, domains: Assembly = DOMAINS
) -> AsyncIterator[Worker]:
    """A worker of its own process (`aifhub worker`): the infrastructure built, the schema
    checked and the domains' start-up steps run (the site's clusters synced) first."""
    infra = build_infrastructure(settings)
    engine = make_engine(settings.resolved_database_url())
    try:
        await check_migrated(engine)
        maker = make_sessionmaker(engine)
        for step in domains.startup:
            await step(maker, infra)
        yield Worker(maker, infra, domains=domains)
    finally:
        await infra.aclose()
        await engine.dispose()


async def run_worker(settings: Settings) -> None:
    """Entry point of `aifhub worker`: runs until SIGINT/SIGTERM, then stops cleanly."""
    async with standalone_worker(settings) as worker:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, worker.stop)
        await worker.run()
