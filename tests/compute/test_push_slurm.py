"""The allocation push against the real Slurm (22.05, slurmdbd): what it creates, how its limits
bite at a renewal, blocking and unblocking, an overrun, and the operator's error sentences."""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from aifhub.access.allocations import set_suspended
from aifhub.access.ledger import get_balance
from aifhub.access.models import Allocation
from aifhub.backends.slurm import SlurmBackend
from aifhub.backends.slurm.accounts import AccountingError, SlurmAccounts
from aifhub.backends.slurm.sacctmgr import AccountLimit, plan
from aifhub.compute.accounting import ingest_records
from aifhub.compute.models import ClusterLogin
from aifhub.compute.push import push_allocations
from aifhub.core.db import utcnow
from aifhub.identity.models import User
from aifhub.resources.models import Cluster, Partition
from aifhub.resources.site import sync_site

from ..factories import make_project, make_user
from .conftest import add_allocation
from .test_push import _cli, slurm_site

pytestmark = [pytest.mark.slow, pytest.mark.slurm]
# A job behind another pending one starts at the next backfill pass (bf_interval, 30 s by
# default), not at once: waits cover two passes so a busy queue is not read as a failure.
BACKFILL = 75


def slurm(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a Slurm tool on the test cluster."""
    return subprocess.run(args, env=env, capture_output=True, text=True, check=check, cwd="/")


async def aslurm(env: dict[str, str], *args: str, check: bool = True) -> Any:
    return await asyncio.to_thread(slurm, env, *args, check=check)


async def sbatch(env: dict[str, str], account: str, cpus: int, minutes: int, body: str) -> str:
    out = await aslurm(
        env, "sbatch", "--parsable", "-A", account, "-p", "cpu", "-c", str(cpus), "-t",
        str(minutes), "-o", "/dev/null", "--wrap", body,
    )  # fmt: skip
    return str(out.stdout.strip().split(";")[0])


async def job_state(env: dict[str, str], job_id: str) -> tuple[str, str]:
    """(state, reason) from squeue, or sacct's state once the job left the queue."""
    out = (await aslurm(env, "squeue", "-h", "-j", job_id, "-o", "%T|%r", check=False)).stdout
    if out.strip():
        state, _, reason = out.strip().partition("|")
        return state, reason
    acct = await aslurm(env, "sacct", "-X", "-n", "-P", "-j", job_id, "-o", "State")
    return acct.stdout.strip().split(" ")[0] or "UNKNOWN", ""


async def wait_state(env: dict[str, str], job_id: str, want: set[str], within: float) -> str:
    """Poll until the job's state (or its pending reason) is one of `want`."""
    deadline = time.monotonic() + within
    while True:
        state, reason = await job_state(env, job_id)
        if state in want or reason in want:
            return state if state in want else reason
        assert time.monotonic() < deadline, f"job {job_id} still {state} ({reason})"
        await asyncio.sleep(0.5)


async def assoc(env: dict[str, str], account: str) -> tuple[str, str]:
    """(GrpTRESMins, GrpSubmitJobs) of an account on ci."""
    out = await aslurm(
        env, "sacctmgr", "-n", "-P", "show", "assoc", f"account={account}", "cluster=ci",
        "user=", "format=GrpTRESMins,GrpSubmit",
    )  # fmt: skip
    tres, _, submit = out.stdout.strip().splitlines()[0].partition("|")
    return tres, submit


async def _site(db, prefix: str, env: dict[str, str], **extra: str) -> dict[str, Partition]:
    await sync_site(db, slurm_site(prefix, extra.pop("slurm_conf", env["SLURM_CONF"]), **extra))
    await db.commit()
    cluster = await db.scalar(select(Cluster).where(Cluster.name == "jz"))
    pi = await db.scalar(select(User).where(User.email == "pi@lab.eu"))
    # The tests submit as root: root is the pi's proven login on the cluster.
    db.add(ClusterLogin(user_id=pi.id, cluster_id=cluster.id, login="root", status="approved"))
    await db.commit()
    return {
        p.name: p
        for p in await db.scalars(select(Partition).where(Partition.cluster_id == cluster.id))
    }


async def test_push_creates_the_cluster_entry_and_the_parent_account(
    client, db, world, slurm_cluster
):
    env = slurm_cluster
    tag = uuid.uuid4().hex[:8]
    name, parent, prefix = f"c{tag}", f"par{tag}", f"t{tag}-"
    parts = await _site(db, prefix, env, cluster_name=name, parent_account=parent)
    await add_allocation(db, "proj", parts["cpu"], Decimal(1))
    try:
        dry = await push_allocations(db, dry_run=True)
        assert dry[1:4] == [
            f"sacctmgr -i add cluster {name}",
            f"sacctmgr -i add account {parent} cluster={name} parent=root",
            f"sacctmgr -i add account {prefix}proj cluster={name} parent={parent} "
            "GrpTRESMins=cpu=60",
        ]
        done = await push_allocations(db)
        assert done == dry
        out = await aslurm(
            env, "sacctmgr", "-n", "-P", "show", "assoc", f"cluster={name}",
            "format=Account,User,ParentName,GrpTRESMins",
        )  # fmt: skip
        rows = set(out.stdout.splitlines())
        assert f"{parent}||root|" in rows and f"{prefix}proj||{parent}|cpu=60" in rows
        assert f"{prefix}proj|root||" in rows
        assert await push_allocations(db) == ["# jz: 1 account(s), 0 command(s)"]
    finally:
        await aslurm(env, "sacctmgr", "-i", "delete", "cluster", name, check=False)
        await aslurm(env, "sacctmgr", "-i", "delete", "account", f"{prefix}proj,{parent}",
                     check=False)  # fmt: skip


async def test_renewal_blocking_and_an_overrun(client, db, world, slurm_cluster, settings):
    """One body, so the ~90 s overrun runs while the renewal and the blocking are checked."""
    if settings.resolved_database_url().startswith("postgresql"):
        # Two copies at once would compete for the test node's 16 CPUs (xdist may run both
        # database variants side by side); the ledger side runs on both databases in
        # tests/compute/test_push.py, the Slurm side is the same whatever the database.
        pytest.skip("runs once, on SQLite: its jobs need most of the test node's CPUs")
    env = slurm_cluster
    prefix = f"t{uuid.uuid4().hex[:6]}-"
    parts = await _site(db, prefix, env)
    cpu = parts["cpu"]
    pi_headers = world.pi
    for slug in ("ovr", "blk"):
        await make_project(client, pi_headers, slug, "lab")
    ovr = await add_allocation(db, "ovr", cpu, Decimal("0.05"))  # 3 cores x 1 min, exactly
    blk = await add_allocation(db, "blk", cpu, Decimal(1))
    old = await add_allocation(db, "proj", cpu, Decimal(10))
    # (proj's gpu allocation of the world is on the local cluster, not here)
    accounts = {s: f"{prefix}{s}" for s in ("ovr", "blk", "proj")}
    try:
        await push_allocations(db)
        await db.commit()
        assert await assoc(env, accounts["ovr"]) == ("cpu=3", "")
        # 1. the overrun: 3 cores for -t 1, sleeping 200 s: Slurm kills it after its limit
        started = utcnow() - timedelta(minutes=1)
        ovr_job = await sbatch(env, accounts["ovr"], 3, 1, "sleep 200")
        # 2. the renewal: ~4 core-minutes used in the old period...
        first = await sbatch(env, accounts["proj"], 12, 1, "sleep 20")
        # 3. blocking meanwhile: suspend -> push -> sbatch refused at once; resume -> accepted
        staff = await make_user(db, f"admin{prefix}@hub.eu", staff=("admin",))
        await set_suspended(db, staff, blk.id, suspend=True, reason="test")
        await push_allocations(db)
        await db.commit()
        refused = await aslurm(
            env, "sbatch", "-A", accounts["blk"], "-p", "cpu", "-t", "1", "--wrap", "true",
            check=False,
        )  # fmt: skip
        assert refused.returncode != 0
        assert "Job violates accounting/QOS policy" in refused.stderr
        await set_suspended(db, staff, blk.id, suspend=False, reason="test")
        lines = await push_allocations(db)
        await db.commit()
        assert any("GrpSubmitJobs=-1" in line for line in lines)
        # Accepted: sbatch gives a job id (it refused at once while blocked). Whether it then
        # starts depends on slurmctld's copy of the association, which slurmdbd updates on its
        # own schedule, so the test stops at the acceptance.
        accepted = await sbatch(env, accounts["blk"], 1, 1, "true")
        assert accepted.strip().isdigit()
        await aslurm(env, "scancel", accepted, check=False)

        assert await wait_state(env, first, {"COMPLETED"}, BACKFILL) == "COMPLETED"
        usage = (await aslurm(env, "sshare", "-n", "-P", "-A", accounts["proj"], "-o",
                              "Account,User,GrpTRESRaw")).stdout  # fmt: skip
        used_min = int(usage.split("cpu=")[1].split(",")[0])
        assert used_min >= 3  # 12 cores x ~20 s, in minutes
        # ...the period ends, a new one grants 15 core-minutes (0.25 h)
        old_row = await db.get(Allocation, old.id)
        old_row.state, old_row.ends_at = "expired", utcnow() - timedelta(seconds=1)
        await db.commit()
        await add_allocation(db, "proj", cpu, Decimal("0.25"))
        await push_allocations(db)
        await db.commit()
        assert await assoc(env, accounts["proj"]) == (f"cpu={used_min + 15}", "")
        # 12 core-minutes fit in the new grant (the old formula, GrpTRESMins=15, would not)
        fits = await sbatch(env, accounts["proj"], 12, 1, "sleep 1")
        assert await wait_state(env, fits, {"RUNNING", "COMPLETED"}, BACKFILL)
        await wait_state(env, fits, {"COMPLETED"}, BACKFILL)
        # 24 do not: pending on the account's limit
        too_big = await sbatch(env, accounts["proj"], 12, 2, "sleep 1")
        assert await wait_state(env, too_big, {"AssocGrpCPUMinutesLimit"}, BACKFILL)
        await aslurm(env, "scancel", too_big)

        # 4. the overrun ends: charged in full from Slurm's accounting, more than granted
        assert await wait_state(env, ovr_job, {"TIMEOUT"}, 150) == "TIMEOUT"
        cluster = await db.scalar(select(Cluster).where(Cluster.name == "jz"))
        records = await SlurmBackend(slurm_conf=env["SLURM_CONF"]).accounting(started)
        mine = [r for r in records if r.backend_id == ovr_job]
        assert mine and mine[0].elapsed_s >= 60
        await ingest_records(db, cluster, mine)
        await db.commit()
        balance = await get_balance(db, ovr.id)
        assert balance.used == (Decimal(mine[0].elapsed_s) * 3 / 3600).quantize(Decimal("0.0001"))
        assert balance.used >= Decimal("0.05") and balance.remaining <= 0
        await push_allocations(db)
        await db.commit()
        assert (await assoc(env, accounts["ovr"]))[1] == "0"  # blocked
    finally:
        await aslurm(env, "scancel", "-A", ",".join(accounts.values()), check=False)
        await aslurm(env, "sacctmgr", "-i", "delete", "account", ",".join(accounts.values()),
                     check=False)  # fmt: skip


def _conf_with(env: dict[str, str], tmp_path: Path, name: str, replace: dict[str, str]) -> str:
    lines = Path(env["SLURM_CONF"]).read_text().splitlines()
    out = [replace.get(line.split("=")[0], line) for line in lines] + ["MessageTimeout=2"]
    path = tmp_path / name
    path.write_text("\n".join(out) + "\n")
    return str(path)


async def test_cli_sentences_for_a_down_slurmdbd_and_slurmctld(
    client, db, world, slurm_cluster, settings, monkeypatch, tmp_path
):
    env = slurm_cluster
    no_dbd = _conf_with(
        env, tmp_path, "nodbd.conf", {"AccountingStoragePort": "AccountingStoragePort=1"}
    )
    no_ctld = _conf_with(
        env, tmp_path, "noctld.conf", {"SlurmctldHost": "SlurmctldHost=localhost\nSlurmctldPort=1"}
    )
    parts = await _site(db, f"t{uuid.uuid4().hex[:6]}-", env, slurm_conf=no_dbd)
    await add_allocation(db, "proj", parts["cpu"], Decimal(1))
    res = await asyncio.to_thread(_cli, monkeypatch, settings, "--dry-run")
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "slurmdbd cannot be reached" in res.output, (res.output, res.exc_info)
    assert "Nothing was changed" in res.output
    cluster = await db.scalar(select(Cluster).where(Cluster.name == "jz"))
    cluster.settings = {**cluster.settings, "slurm_conf": no_ctld}
    await db.commit()
    res = await asyncio.to_thread(_cli, monkeypatch, settings)
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "slurmctld cannot be reached" in res.output


async def test_a_failed_command_mid_apply_says_which_and_that_rerunning_is_safe(slurm_cluster):
    env = slurm_cluster
    tag = uuid.uuid4().hex[:6]
    accounts = SlurmAccounts("ci", env["SLURM_CONF"])
    a, b = f"t{tag}a", f"t{tag}b"
    try:
        await accounts.apply([AccountLimit(a, grp_tres_mins={"cpu": 5}), AccountLimit(b)])
        state = await accounts.read()
        # b disappears between the read and the apply (another admin): its user addition fails
        await aslurm(env, "sacctmgr", "-i", "delete", "account", b)
        commands = plan(
            [AccountLimit(a, grp_tres_mins={"cpu": 9}), AccountLimit(b, users=["root"])],
            state.accounts, "ci",
        )  # fmt: skip
        with pytest.raises(AccountingError) as caught:
            await accounts.run(commands, state)
        said = str(caught.value)
        assert f"Command 2 of 2 failed: `sacctmgr -i add user root account={b} cluster=ci`" in said
        assert f"This account '{b}' doesn't exist" in said
        assert "The 1 command(s) before it were applied; re-running the push is safe" in said
        assert await assoc(env, a) == ("cpu=9", "")
    finally:
        await aslurm(env, "sacctmgr", "-i", "delete", "account", f"{a},{b}", check=False)
