"""The infrastructure object: the site file parsed once, folders resolved once, backends pooled."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from aifhub.backends.local import LocalBackend
from aifhub.compute.cluster_backends import backend_for
from aifhub.core.config import Settings
from aifhub.core.db import make_sessionmaker
from aifhub.core.infra import BackendPool, Paths, build_infrastructure
from aifhub.resources.models import Cluster
from aifhub.worker import Worker

SITE = """
factory_name = "Factory of the test"

[compute]
delivery_batch = 7

[mail]
sender = "hub@test.eu"
"""


async def test_a_worker_tick_does_not_read_the_site_file_again(
    db, engine, settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    site = tmp_path / "site.toml"
    site.write_text(SITE)
    infra = build_infrastructure(settings.model_copy(update={"site_file": site}))
    worker = Worker(make_sessionmaker(engine), infra)
    # The file is broken after start-up: a task that parsed it again would fail (and log it).
    site.write_text("this is [not toml")
    caplog.set_level(logging.WARNING, logger="aifhub")
    try:
        done = await worker.run_once()
        assert done["compute.deliver"] == 0 and done["mail.deliver"] == 0
        assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert worker.context.infra.site.factory_name == "Factory of the test"
        assert worker.context.infra.site.mail.sender == "hub@test.eu"
    finally:
        await infra.aclose()


def test_paths_are_absolute_and_resolved_once(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "site.toml").write_text(SITE)
    infra = build_infrastructure(Settings(var_dir=Path("data"), site_file=Path("etc/site.toml")))
    assert infra.paths == Paths(
        var=tmp_path / "data",
        site_dir=tmp_path / "etc",
        objects=tmp_path / "data" / "objects",
        job_inputs=tmp_path / "data" / "job-inputs",
    )
    assert infra.store.root == tmp_path / "data" / "objects"
    assert infra.backends.state_root == tmp_path / "data"
    monkeypatch.chdir("/")  # a later change of directory changes nothing
    assert infra.paths.var == tmp_path / "data"


async def test_the_pool_builds_one_backend_per_cluster_and_replaces_per_pool(
    tmp_path: Path,
) -> None:
    pool, other_pool = BackendPool(tmp_path), BackendPool(tmp_path)
    a = Cluster(name="a", backend="local", settings={"state_dir": "a-state", "sandbox": False})
    b = Cluster(name="b", backend="local", settings={"sandbox": False})
    try:
        first = backend_for(pool, a)
        assert isinstance(first, LocalBackend)
        assert backend_for(pool, a) is first  # cached per cluster
        assert backend_for(pool, b) is not first
        # Relative (or absent) state folders of local clusters live under the pool's root.
        assert first.state_dir == tmp_path / "a-state"
        assert backend_for(pool, b).state_dir == tmp_path / "local-backend"  # type: ignore[attr-defined]
        # New settings (the site file synced again): a new backend for the cluster.
        a.settings = {**a.settings, "cpus": 1}
        assert backend_for(pool, a) is not first
        # A replacement belongs to its pool only, and None gives the built backend back.
        fake = LocalBackend(tmp_path / "fake", sandbox=False)
        pool.replace("a", fake)
        assert backend_for(pool, a) is fake
        assert backend_for(other_pool, a) is not fake
        pool.replace("a", None)
        again = backend_for(pool, a)
        assert again is not fake and backend_for(pool, a) is again
    finally:
        await pool.aclose()
        await other_pool.aclose()
    # Closed: the next use builds afresh.
    assert backend_for(pool, a) is not again
    await pool.aclose()
