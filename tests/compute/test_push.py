"""Allocation push: accounts, users, GrpTRESMins = usage + what remains; blocks; CLI errors."""

from __future__ import annotations

import asyncio
import re
import subprocess
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from aifhub.access.ledger import Movement, record_movements
from aifhub.access.models import Allocation, LedgerKind
from aifhub.cli import app as cli_app
from aifhub.compute import cli as compute_cli
from aifhub.compute.models import ClusterLogin
from aifhub.compute.push import native_minutes, project_accounts, push_allocations
from aifhub.core.config import SiteConfig
from aifhub.identity.models import Project, User
from aifhub.resources.models import Cluster, Partition
from aifhub.resources.site import sync_site

from .conftest import add_allocation


def slurm_site(prefix: str, conf: str | None = None, **extra: str) -> SiteConfig:
    settings = {"cluster_name": "ci", "parent_account": "root", **extra}
    if conf:
        settings["slurm_conf"] = conf
    return SiteConfig.model_validate(
        {
            "clusters": [
                {
                    "name": "jz",
                    "backend": "slurm",
                    "account_format": prefix + "{project}",
                    "settings": settings,
                    "partitions": [
                        {"name": "gpu", "accelerator": "A100", "gpus_per_node": 2,
                         "charge_factor": "2", "max_time": "20h"},
                        {"name": "cpu", "cores_per_node": 16},
                    ],
                }
            ]
        }
    )  # fmt: skip


async def _setup(client, db, world, site: SiteConfig) -> dict[str, Partition]:
    await sync_site(db, site)
    await db.commit()
    cluster = await db.scalar(select(Cluster).where(Cluster.name == "jz"))
    parts = {
        p.name: p
        for p in await db.scalars(select(Partition).where(Partition.cluster_id == cluster.id))
    }
    await add_allocation(db, "proj", parts["gpu"], Decimal(1000))  # 1000 h / 2 x 60 = 30000 min
    await add_allocation(db, "proj", parts["cpu"], Decimal(50))
    await add_allocation(db, "theirs", parts["gpu"], Decimal(10), state="expired", days=(-60, -1))
    for email, login in (("pi@lab.eu", "pilogin"), ("member@lab.eu", "memlogin")):
        user = await db.scalar(select(User).where(User.email == email))
        db.add(ClusterLogin(user_id=user.id, cluster_id=cluster.id, login=login, status="approved"))
    await db.commit()
    return parts


def test_native_minutes() -> None:
    assert native_minutes(Decimal(1000), Decimal(2)) == 30000
    assert native_minutes(Decimal("0.01"), Decimal(1)) == 0
    assert native_minutes(Decimal(5), Decimal(0)) == 0
    assert native_minutes(Decimal(-5), Decimal(1)) == 0


async def test_dry_run_commands(client, db, world):
    await _setup(client, db, world, slurm_site("x-"))
    lines = await push_allocations(db, dry_run=True, read_cluster=False)
    text = "\n".join(lines)
    assert lines[0] == "# jz: 2 account(s), 4 command(s)"
    assert lines[1] == "sacctmgr -i add cluster ci"  # planned from nothing: no cluster entry
    assert (
        "sacctmgr -i add account x-proj cluster=ci parent=root "
        "GrpTRESMins=cpu=3000,gres/gpu=30000" in text
    )
    assert (
        "sacctmgr -i add account x-theirs cluster=ci parent=root GrpTRESMins=gres/gpu=0 "
        "GrpSubmitJobs=0 GrpJobs=0" in text
    )
    assert "sacctmgr -i add user memlogin,pilogin account=x-proj cluster=ci" in text


def _move(alloc_id: int, kind: LedgerKind, amount: str) -> Movement:
    return Movement(alloc_id, kind, Decimal(amount), f"k:{uuid.uuid4().hex}", None, "test")


async def test_limits_are_usage_plus_what_remains(client, db, world):
    parts = await _setup(client, db, world, slurm_site("x-"))
    cluster = await db.scalar(select(Cluster).where(Cluster.name == "jz"))
    gpu = await db.scalar(
        select(Allocation).where(
            Allocation.partition_id == parts["gpu"].id, Allocation.amount == 1000
        )
    )
    overlap = await add_allocation(db, "proj", parts["gpu"], Decimal(10))  # a second current one
    await add_allocation(db, "proj", parts["gpu"], Decimal(500), state="expired", days=(-90, -30))
    await record_movements(db, [
        _move(gpu.id, LedgerKind.CHARGE, "250.5"),  # settled use counts
        _move(gpu.id, LedgerKind.ADJUST, "-0.5"),  # a staff correction too
        _move(gpu.id, LedgerKind.RESERVE, "300"),  # a running job's hold does not: Slurm counts it
        _move(overlap.id, LedgerKind.CHARGE, "4"),
    ])  # fmt: skip
    await db.commit()
    wanted = {a.account: a for a in await project_accounts(db, cluster)}
    proj = wanted["x-proj"]
    # (1000 - 250) / 2 x 60 + (10 - 4) / 2 x 60; the expired 500 h leave nothing
    assert proj.remaining == {"gres/gpu": 22500 + 180, "cpu": 3000}
    assert not proj.blocked
    limit = proj.limit({"gres/gpu": 700, "cpu": 12, "mem": 99})
    assert limit.grp_tres_mins == {"gres/gpu": 23380, "cpu": 3012}
    assert wanted["x-theirs"].blocked and wanted["x-theirs"].remaining == {"gres/gpu": 0}
    assert wanted["x-theirs"].limit({"gres/gpu": 42}).grp_tres_mins == {"gres/gpu": 42}


async def test_suspended_or_overrun_blocks_and_a_grant_unblocks(client, db, world):
    parts = await _setup(client, db, world, slurm_site("x-"))
    cluster = await db.scalar(select(Cluster).where(Cluster.name == "jz"))
    allocs = list(await db.scalars(select(Allocation).join(Project).where(Project.slug == "proj")))
    cpu = next(a for a in allocs if a.partition_id == parts["cpu"].id)
    gpu = next(a for a in allocs if a.partition_id == parts["gpu"].id)
    gpu.state = "suspended"
    await record_movements(
        db, [_move(cpu.id, LedgerKind.CHARGE, "50.2")]
    )  # overrun: charged in full
    await db.commit()
    (proj,) = [a for a in await project_accounts(db, cluster) if a.account == "x-proj"]
    assert proj.blocked and proj.remaining == {"gres/gpu": 0, "cpu": 0}
    assert proj.limit({"cpu": 3012}).grp_tres_mins == {"gres/gpu": 0, "cpu": 3012}
    await add_allocation(db, "proj", parts["cpu"], Decimal(1))  # a new grant: 60 core-minutes
    (proj,) = [a for a in await project_accounts(db, cluster) if a.account == "x-proj"]
    assert not proj.blocked and proj.remaining["cpu"] == 60


def _cli(monkeypatch, settings, *args: str):
    monkeypatch.setattr(compute_cli, "get_settings", lambda: settings)
    monkeypatch.setenv("COLUMNS", "200")
    return CliRunner().invoke(cli_app, ["allocations", "push", *args])


async def test_cli_says_what_is_wrong_without_a_traceback(
    client, db, world, settings, monkeypatch, tmp_path
):
    await _setup(client, db, world, slurm_site("x-", bin_dir=str(tmp_path / "no-such-dir")))
    res = await asyncio.to_thread(_cli, monkeypatch, settings, "--dry-run")
    assert res.exit_code == 1 and res.exception is None or isinstance(res.exception, SystemExit)
    assert "Traceback" not in res.output
    assert "sacctmgr is not installed where the push looks for it" in res.output
    assert "bin_dir" in res.output and "Nothing was changed" in res.output

    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "sacctmgr").write_text("#!/bin/sh\n")  # not executable
    cluster = await db.scalar(select(Cluster).where(Cluster.name == "jz"))
    cluster.settings = {**cluster.settings, "bin_dir": str(tmp_path / "bin")}
    await db.commit()
    res = await asyncio.to_thread(_cli, monkeypatch, settings)
    assert res.exit_code == 1 and "sacctmgr cannot be started" in res.output
    assert "Permission denied" in res.output

    cluster.settings = {**cluster.settings, "account_format": "Lab {project}"}
    await db.commit()
    res = await asyncio.to_thread(_cli, monkeypatch, settings, "--dry-run")
    assert res.exit_code == 1 and "Traceback" not in res.output
    # The first project found names itself (which one comes first is the database's choice).
    assert re.search(r"Project '(\w+)' gives the Slurm account name 'Lab \1'", res.output)
    assert "Fix account_format" in res.output


@pytest.mark.slow
@pytest.mark.slurm
async def test_push_to_real_slurm_is_idempotent(client, db, world, slurm_cluster):
    env = slurm_cluster
    prefix = f"t{uuid.uuid4().hex[:6]}-"
    await _setup(client, db, world, slurm_site(prefix, env["SLURM_CONF"]))
    first = await push_allocations(db)
    assert first[0].startswith("# jz: 2 account(s), 3 command(s)")
    out = await asyncio.to_thread(
        subprocess.run,
        ["sacctmgr", "-nP", "show", "assoc", f"account={prefix}proj,{prefix}theirs",
         "format=account,user,grptresmins,grpsubmit"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    out = out.stdout
    rows = {tuple(line.split("|")) for line in out.splitlines()}
    assert (f"{prefix}proj", "", "cpu=3000,gres/gpu=30000", "") in rows
    assert (f"{prefix}proj", "pilogin", "", "") in rows
    assert (f"{prefix}theirs", "", "gres/gpu=0", "0") in rows
    assert {r[1] for r in rows if r[0] == f"{prefix}proj"} == {"", "pilogin", "memlogin"}
    again = await push_allocations(db)
    assert again == ["# jz: 2 account(s), 0 command(s)"]
    await asyncio.to_thread(
        subprocess.run,
        ["sacctmgr", "-i", "delete", "account", f"{prefix}proj,{prefix}theirs"],
        env=env, capture_output=True, check=False,
    )  # fmt: skip
