"""The Slurm backends against a real single-node Slurm (scripts/start-slurm.sh)."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aifhub.backends.base import (
    AccountingRecord,
    BackendJob,
    BackendUnavailable,
    ComputeBackend,
    JobSpec,
    JobState,
    SubmissionRejected,
)
from aifhub.backends.registry import make_backend
from aifhub.backends.slurm import SlurmBackend
from aifhub.backends.slurm.accounts import SlurmAccounts
from aifhub.backends.slurm.rest import SlurmRestBackend
from aifhub.backends.slurm.sacctmgr import AccountLimit

pytestmark = [pytest.mark.slow, pytest.mark.slurm]
T0 = datetime.now(UTC) - timedelta(seconds=5)


def spec(script: str, **kw: object) -> JobSpec:
    fields: dict[str, object] = {
        "name": "aifhub-test", "partition": "cpu", "account": "ci", "user": None,
        "time_limit_s": 120,
    }  # fmt: skip
    return JobSpec(script=script, **{**fields, **kw})  # type: ignore[arg-type]


async def wait_state(
    backend: ComputeBackend, job_id: str, done: set[JobState] | None = None, within: float = 60
) -> BackendJob:
    """Poll until the job is in ``done`` (any terminal state by default)."""
    deadline = time.monotonic() + within
    while True:
        job = (await backend.poll([job_id]))[job_id]
        if (job.state in done) if done else job.state.is_terminal:
            return job
        assert time.monotonic() < deadline, f"job {job_id} stuck: {job}"
        await asyncio.sleep(0.3)


async def wait_accounting(backend: ComputeBackend, job_id: str) -> AccountingRecord:
    """slurmctld sends the end record to slurmdbd asynchronously: wait for it."""
    deadline = time.monotonic() + 30
    while True:
        for rec in await backend.accounting(T0):
            if rec.backend_id == job_id and rec.state.is_terminal:
                return rec
        assert time.monotonic() < deadline, f"no accounting record for {job_id}"
        await asyncio.sleep(0.5)


@pytest.fixture(scope="module")
def log_dir(slurm_cluster: dict[str, str]) -> str:
    """A folder every job user can write its output to (a shared fs on a real cluster)."""
    d = Path(slurm_cluster["SLURM_CI_BASE"]) / "home" / f"aifhub-logs-{uuid.uuid4().hex[:8]}"
    d.mkdir(mode=0o1777)
    d.chmod(0o1777)
    return str(d)


@pytest.fixture(scope="module")
def slurm(slurm_cluster: dict[str, str], log_dir: str) -> SlurmBackend:
    backend = make_backend("slurm", {"slurm_conf": slurm_cluster["SLURM_CONF"], "log_dir": log_dir})
    assert isinstance(backend, SlurmBackend)
    return backend


@pytest.fixture(scope="module")
async def timeout_job(slurm: SlurmBackend) -> str:
    """Submitted first: Slurm's time limits are whole minutes and are checked every 30 s,
    so this job needs 60-90 s to time out; the other tests run meanwhile."""
    return await slurm.submit(spec("sleep 300", name="aifhub-timeout", time_limit_s=1))


async def test_submit_completes_with_output(slurm: SlurmBackend, timeout_job: str) -> None:
    job_id = await slurm.submit(
        spec('echo "hello $GREETING"; echo err >&2', env={"GREETING": "it's\nme"})
    )
    job = await wait_state(slurm, job_id)
    assert job.state is JobState.COMPLETED and job.exit_code == 0, job
    assert job.started_at and job.started_at.tzinfo is UTC and job.node == "localhost"
    text, offset = await slurm.read_log(job_id)
    assert text == "hello it's\nme\n" and offset == len(text.encode())
    assert await slurm.read_log(job_id, offset) == ("", offset)
    assert (await slurm.read_log(job_id, 0, "stderr"))[0] == "err\n"


async def test_exit_code_and_batched_poll(slurm: SlurmBackend) -> None:
    a = await slurm.submit(spec("exit 3"))
    b = await slurm.submit(spec("true"))
    await wait_state(slurm, a)
    await wait_state(slurm, b)
    states = await slurm.poll([a, b, "999999"])
    assert states[a].state is JobState.FAILED and states[a].exit_code == 3
    assert states[b].state is JobState.COMPLETED
    assert states["999999"].state is JobState.UNKNOWN


async def test_gpu_job_and_accounting(slurm: SlurmBackend) -> None:
    job_id = await slurm.submit(
        spec('echo "cvd=$CUDA_VISIBLE_DEVICES"; sleep 1', partition="gpu", gpus=1,
             cpus_per_task=2, comment="aifhub:4242")
    )  # fmt: skip
    job = await wait_state(slurm, job_id)
    assert job.state is JobState.COMPLETED, job
    assert (await slurm.read_log(job_id))[0] == "cvd=0\n"
    rec = await wait_accounting(slurm, job_id)
    assert rec.alloc_gpus == 1 and rec.alloc_cpus == 2
    assert rec.comment == "aifhub:4242" and rec.account == "ci" and rec.partition == "gpu"
    assert rec.user == "root" and rec.name == "aifhub-test" and rec.elapsed_s >= 1
    assert rec.exit_code == 0


async def test_body_cannot_change_directives(slurm: SlurmBackend) -> None:
    body = "#SBATCH --partition=gpu\n#SBATCH --account=evil\n#SBATCH --gres=gpu:2\necho ok"
    job_id = await slurm.submit(spec(body, env={"X": "\n#SBATCH --partition=gpu"}))
    assert (await wait_state(slurm, job_id)).state is JobState.COMPLETED
    rec = await wait_accounting(slurm, job_id)
    assert (rec.partition, rec.account, rec.alloc_gpus) == ("cpu", "ci", 0)


async def test_submit_as_another_user(slurm: SlurmBackend, slurm_cluster: dict[str, str]) -> None:
    login = slurm_cluster["SLURMRESTD_USER"]
    job_id = await slurm.submit(spec("id -un", user=login))
    assert (await wait_state(slurm, job_id)).state is JobState.COMPLETED
    assert (await slurm.read_log(job_id))[0] == f"{login}\n"
    assert (await wait_accounting(slurm, job_id)).user == login


async def test_cancel(slurm: SlurmBackend) -> None:
    job_id = await slurm.submit(spec("sleep 300"))
    await wait_state(slurm, job_id, {JobState.RUNNING})
    await slurm.cancel(job_id)
    job = await wait_state(slurm, job_id)
    assert job.state is JobState.CANCELLED
    await slurm.cancel(job_id)  # no-op once ended


async def test_invalid_account_is_rejected(slurm: SlurmBackend) -> None:
    with pytest.raises(SubmissionRejected, match="(?i)invalid account"):
        await slurm.submit(spec("true", account="nosuchaccount"))


async def test_unreachable_controller_is_unavailable(
    slurm_cluster: dict[str, str], tmp_path: Path
) -> None:
    conf = await asyncio.to_thread(Path(slurm_cluster["SLURM_CONF"]).read_text)
    bad = tmp_path / "slurm.conf"
    # A port nothing listens on; MessageTimeout=1 makes the tools give up at once.
    bad.write_text(
        conf.replace("SlurmctldHost=localhost", "SlurmctldHost=localhost\nSlurmctldPort=6999")
        + "\nMessageTimeout=1\n"
    )
    backend = SlurmBackend(slurm_conf=str(bad))
    with pytest.raises(BackendUnavailable, match="(?i)unable to contact"):
        await backend.submit(spec("true"))
    with pytest.raises(BackendUnavailable):
        await backend.poll(["1"])
    assert not await backend.health()
    missing = SlurmBackend(bin_dir=str(tmp_path / "no-such-bin"))
    with pytest.raises(BackendUnavailable, match="cannot run"):
        await missing.submit(spec("true"))


async def test_sacctmgr_limits_and_idempotency(
    slurm: SlurmBackend, slurm_cluster: dict[str, str]
) -> None:
    accounts = SlurmAccounts(cluster="ci", slurm_conf=slurm_cluster["SLURM_CONF"])
    tag = uuid.uuid4().hex[:6]
    quota, blocked = f"aifq{tag}", f"aifb{tag}"
    login = slurm_cluster["SLURMRESTD_USER"]
    desired = [
        AccountLimit(quota, users=["root", login], grp_tres_mins={"gres/gpu": 1}),
        AccountLimit(blocked, users=["root"], grp_tres_mins={"gres/gpu": 600}, blocked=True),
    ]
    try:
        ran = await accounts.apply(desired)
        assert ran and any(c[:2] == ["add", "account"] for c in ran)
        assert await accounts.plan(desired) == []  # idempotent: nothing left to do
        # 1 GPU-minute allowed; a 2-minute 1-GPU job could overrun it: it must wait.
        job_id = await slurm.submit(spec("true", account=quota, partition="gpu", gpus=1,
                                         time_limit_s=120))  # fmt: skip
        job = await wait_state(slurm, job_id, {JobState.PENDING}, within=10)
        deadline = time.monotonic() + 20
        while job.reason != "AssocGrpGRESMinutes":
            assert time.monotonic() < deadline, job
            await asyncio.sleep(0.5)
            job = (await slurm.poll([job_id]))[job_id]
        assert job.state is JobState.PENDING
        await slurm.cancel(job_id)
        with pytest.raises(SubmissionRejected):
            await slurm.submit(spec("true", account=blocked))
        # Raise the quota and unblock: one modify per distinct change, then nothing again.
        desired = [
            AccountLimit(quota, users=[login], grp_tres_mins={"gres/gpu": 6000}),
            AccountLimit(blocked, users=["root"], grp_tres_mins={"gres/gpu": 600}),
        ]
        changes = await accounts.plan(desired)
        assert sorted(c[0] for c in changes) == ["delete", "modify", "modify"]
        await accounts.apply(desired)
        assert await accounts.plan(desired) == []
        job_id = await slurm.submit(spec("true", account=blocked))
        assert (await wait_state(slurm, job_id)).state is JobState.COMPLETED
    finally:
        # Leave the shared cluster's association tree as it was.
        proc = await asyncio.create_subprocess_exec(
            "sacctmgr", "-i", "delete", "account", f"{quota},{blocked}",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            env={**os.environ, "SLURM_CONF": slurm_cluster["SLURM_CONF"]},
        )  # fmt: skip
        await proc.wait()


async def test_sacctmgr_bulk_user_load(slurm_cluster: dict[str, str]) -> None:
    """More than three user additions go through one load file; defaults stay as they were."""
    accounts = SlurmAccounts(cluster="ci", slurm_conf=slurm_cluster["SLURM_CONF"])
    tag = uuid.uuid4().hex[:6]
    login, fresh = slurm_cluster["SLURMRESTD_USER"], f"aifu{tag}"
    members = [[login], ["root"], ["root", login], [fresh]]
    desired = [AccountLimit(f"aifl{tag}x{i}", users=u, grp_tres_mins={"cpu": 60})
               for i, u in enumerate(members)]  # fmt: skip
    env = {**os.environ, "SLURM_CONF": slurm_cluster["SLURM_CONF"]}
    try:
        ran = await accounts.apply(desired)
        assert sum(1 for c in ran if c[:2] == ["add", "user"]) == 4
        assert await accounts.plan(desired) == []
        current = await accounts.current()
        assert [sorted(current[a.account].users) for a in desired] == [sorted(u) for u in members]
        proc = await asyncio.create_subprocess_exec(
            "sacctmgr", "-n", "-P", "show", "user", f"root,{fresh}", "format=user,defaultaccount",
            stdout=asyncio.subprocess.PIPE, env=env,
        )  # fmt: skip
        out, _ = await proc.communicate()
        defaults = dict(line.split("|") for line in out.decode().split())
        assert defaults == {"root": "ci", fresh: f"aifl{tag}x3"}
    finally:
        for cmd in (
            ["delete", "user", fresh],
            ["delete", "account", ",".join(a.account for a in desired)],
        ):
            proc = await asyncio.create_subprocess_exec(
                "sacctmgr", "-i", *cmd, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL, env=env,
            )  # fmt: skip
            await proc.wait()


@pytest.fixture(scope="module")
async def rest(slurm_cluster: dict[str, str], log_dir: str) -> AsyncIterator[SlurmRestBackend]:
    backend = make_backend(
        "slurmrest",
        {
            "url": slurm_cluster["SLURMRESTD_URL"],
            "user": slurm_cluster["SLURMRESTD_USER"],
            "slurm_conf": slurm_cluster["SLURM_CONF"],
            "log_dir": log_dir,
        },
    )
    assert isinstance(backend, SlurmRestBackend)
    yield backend
    await backend.aclose()


async def test_slurmrest_submit_poll_cancel(rest: SlurmRestBackend) -> None:
    assert await rest.health()
    job_id = await rest.submit(
        spec('echo "rest cvd=$CUDA_VISIBLE_DEVICES"', partition="gpu", gpus=1, comment="aifhub:77")
    )
    job = await wait_state(rest, job_id)
    assert job.state is JobState.COMPLETED and job.exit_code == 0, job
    assert (await rest.read_log(job_id))[0] == "rest cvd=0\n"
    failing = await rest.submit(spec("exit 5"))
    assert (await wait_state(rest, failing)).exit_code == 5
    sleeper = await rest.submit(spec("sleep 300"))
    await wait_state(rest, sleeper, {JobState.RUNNING})
    await rest.cancel(sleeper)
    assert (await wait_state(rest, sleeper)).state is JobState.CANCELLED
    rec = await wait_accounting(rest, job_id)
    assert rec.alloc_gpus == 1 and rec.comment == "aifhub:77" and rec.exit_code == 0
    # Slurm 22.05's slurmdb says "SUCCESS, 0" for this failed job: unknown, never a false 0.
    assert (await wait_accounting(rest, failing)).exit_code in (5, None)
    with pytest.raises(SubmissionRejected):
        await rest.submit(spec("true", account="nosuchaccount"))


async def test_timeout(slurm: SlurmBackend, timeout_job: str) -> None:
    job = await wait_state(slurm, timeout_job, within=150)
    assert job.state is JobState.TIMEOUT, job


async def test_slurmrest_unreachable_is_unavailable(slurm_cluster: dict[str, str]) -> None:
    backend = SlurmRestBackend(
        url="http://127.0.0.1:9", user=slurm_cluster["SLURMRESTD_USER"], token="not-used"
    )
    try:
        with pytest.raises(BackendUnavailable, match="unreachable"):
            await backend.submit(spec("true"))
        with pytest.raises(BackendUnavailable):
            await backend.poll(["1"])
        assert not await backend.health()
    finally:
        await backend.aclose()
