"""A job is untrusted code: each escape found on the demo, attempted by a real job.

Through the local backend with real bubblewrap (and, where a submission check is the defence,
through the compute API). When the tests run as root, as `make demo` does, the job must run
as an unprivileged uid with no capability.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from aifhub.backends.base import BackendJob, JobSpec, JobState, SubmissionRejected
from aifhub.backends.local import LocalBackend
from aifhub.backends.local.files import read_json
from aifhub.compute.models import Job, NetworkGrant
from aifhub.core.audit import AuditEvent

from ..compute.conftest import job_body, run_worker_round, wait_for
from ..factories import api_user

AS_ROOT = os.geteuid() == 0


def spec(script: str, *, limit: int = 30, **kw: Any) -> JobSpec:
    fields: dict[str, Any] = {"partition": "local", "account": None, "user": None}
    return JobSpec(name="t", script=script, time_limit_s=limit, **{**fields, **kw})


async def finish(backend: LocalBackend, job_id: str, within: float = 20) -> tuple[BackendJob, str]:
    deadline = time.monotonic() + within
    while True:
        job = (await backend.poll([job_id]))[job_id]
        if job.state.is_terminal:
            out = (await backend.read_log(job_id))[0] + (
                await backend.read_log(job_id, 0, "stderr")
            )[0]
            return job, out
        assert time.monotonic() < deadline, f"job {job_id} stuck in {job}"
        await asyncio.sleep(0.05)


def _environ(pid: int) -> list[bytes]:
    with open(f"/proc/{pid}/environ", "rb") as f:
        return f.read().split(b"\0")


@pytest.fixture
def platform_var(tmp_path: Path) -> Path:
    """What the platform keeps on disk next to the backend: secret key, database, uploads."""
    var = tmp_path / "var"
    (var / "attachments").mkdir(parents=True)
    (var / "secret_key").write_text("TOP-SECRET-KEY")
    (var / "aifhub.db").write_text("users table: admin@factory hash")
    (var / "attachments" / "ticket.txt").write_text("private attachment")
    return var


@pytest.fixture
async def backend(platform_var: Path, bwrap_installed: str):
    b = LocalBackend(platform_var / "local-backend", cpus=2, gpus=1, mem_mb=4096, kill_grace_s=1)
    yield b
    await b.aclose()


# ---------------------------------------------------------------- files of the platform


async def test_workdir_cannot_be_the_platform_folders(
    backend: LocalBackend, platform_var: Path
) -> None:
    victim = await backend.submit(spec("echo other-tenant-output"))
    await finish(backend, victim)
    reader = "cat secret_key aifhub.db attachments/ticket.txt local-backend/jobs/1/stdout"
    for workdir in (str(platform_var), str(backend.jobs_dir), str(backend.jobs_dir / "9")):
        with pytest.raises(SubmissionRejected, match="allowed folders: none"):
            await backend.submit(spec(reader, workdir=workdir))
    # A job whose workdir was its own job folder wrote its result early and was charged 0 h.
    forged = '{"state": "completed", "exit_code": 0, "started_at": null, "ended_at": null}'
    with pytest.raises(SubmissionRejected, match="not allowed"):
        await backend.submit(spec(f"echo '{forged}' > result.json", workdir=str(backend.jobs_dir)))


async def test_job_sees_nothing_of_var_and_cannot_end_its_own_accounting(
    backend: LocalBackend, platform_var: Path
) -> None:
    victim = await backend.submit(spec("echo other-tenant-output > out.txt; echo tenant-stdout"))
    await finish(backend, victim)
    paths = [
        platform_var / "secret_key",
        platform_var / "aifhub.db",
        platform_var / "attachments" / "ticket.txt",
        backend.jobs_dir / victim / "stdout",
        backend.jobs_dir / victim / "work" / "out.txt",
        backend.jobs_dir / victim / "job.json",
    ]
    script = "".join(f"cat {p} 2>/dev/null && echo LEAK {p}\n" for p in paths)
    script += """
ls .. 2>/dev/null | grep -q job.json && echo LEAK bookkeeping
forged='{"state": "completed", "exit_code": 0, "started_at": null, "ended_at": null}'
# At most these land in the sandbox's private /tmp or fail; the host's files stay untouched.
for f in ../result.json ../started.json ../cancel; do echo "$forged" > $f 2>/dev/null; done
test -e /etc/shadow && echo LEAK /etc/shadow
ls /etc/ssl/private >/dev/null 2>&1 && echo LEAK /etc/ssl/private
sleep 1.5
echo done
"""
    job_id = await backend.submit(spec(script))
    job, out = await finish(backend, job_id)
    assert "LEAK" not in out and "TOP-SECRET" not in out and "other-tenant" not in out, out
    assert job.state is JobState.COMPLETED and out.strip().endswith("done")
    assert not (backend.jobs_dir / job_id / "cancel").exists()
    assert (read_json(backend.jobs_dir / job_id / "result.json") or {}).get("started_at")
    # The runner, not the job, wrote the result: the real elapsed time is charged.
    assert job.elapsed_s is not None and job.elapsed_s >= 1
    (record,) = [r for r in await backend.accounting(job.started_at) if r.backend_id == job_id]  # type: ignore[arg-type]
    assert record.elapsed_s >= 1


# ---------------------------------------------------------------- privileges


async def test_sandboxed_job_has_no_root_and_no_capability(backend: LocalBackend) -> None:
    script = """
grep CapEff /proc/self/status
echo "uid=$(id -u)"
mount -t tmpfs none /tmp 2>/dev/null && echo LEAK mounted
mknod /tmp/mem c 1 1 2>/dev/null && echo LEAK mknod
echo ok > mine.txt && cat mine.txt
"""
    job, out = await finish(backend, await backend.submit(spec(script)))
    assert job.state is JobState.COMPLETED, out
    assert "CapEff:\t0000000000000000" in out, out
    assert "LEAK" not in out and "ok" in out, out
    uid = int(out.split("uid=")[1].split()[0])
    assert uid != 0
    if AS_ROOT:
        assert uid == 65534
        # On the host, the work folder (and what the job wrote) belongs to the job user.
        work = backend.jobs_dir / job.backend_id / "work"
        assert (work.stat().st_uid, (work / "mine.txt").stat().st_uid) == (65534, 65534)


@pytest.mark.skipif(not AS_ROOT, reason="the unsandboxed mode drops root only when run as root")
async def test_unsandboxed_job_still_drops_root_and_cannot_kill_its_runner(
    platform_var: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIFHUB_DATABASE_URL", "postgresql://aifhub:s3cret@db/aifhub")
    b = LocalBackend(platform_var / "plain", cpus=2, gpus=0, mem_mb=4096, sandbox=False)
    try:
        script = (
            """
grep CapEff /proc/self/status
echo "uid=$(id -u)"
cat /proc/$PPID/environ 2>/dev/null | tr '\\0' '\\n' | grep AIFHUB_DATABASE && echo LEAK env
kill -9 $PPID 2>/dev/null && echo LEAK killed runner
cat """
            + str(platform_var / "secret_key")
            + """ 2>/dev/null && echo LEAK key
sleep 0.5
echo done
"""
        )
        job, out = await finish(b, await b.submit(spec(script)))
    finally:
        await b.aclose()
    assert job.state is JobState.COMPLETED, out
    assert "CapEff:\t0000000000000000" in out and "uid=65534" in out, out
    assert "LEAK" not in out and "s3cret" not in out and out.strip().endswith("done"), out


async def test_no_bubblewrap_means_no_job_unless_the_site_says_so(
    platform_var: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("aifhub.backends.local.backend.find_bwrap", lambda: None)
    b = LocalBackend(platform_var / "nobwrap", cpus=1, gpus=0, mem_mb=1024)
    try:
        with pytest.raises(SubmissionRejected, match="bubblewrap .* is not installed"):
            await b.submit(spec("echo unsandboxed"))
    finally:
        await b.aclose()


# ---------------------------------------------------------------- environment


async def test_runner_and_bwrap_process_get_no_platform_or_job_variables(
    backend: LocalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIFHUB_DATABASE_URL", "postgresql://aifhub:s3cret@db/aifhub")
    monkeypatch.setenv("AIFHUB_SECRET_KEY", "TOP-SECRET-KEY")
    job_id = await backend.submit(spec('echo "job=$JOBVAR"; sleep 3', env={"JOBVAR": "inside"}))
    job_dir = backend.jobs_dir / job_id
    deadline = time.monotonic() + 10
    while read_json(job_dir / "started.json") is None:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    runner = read_json(job_dir / "runner.json")
    started = read_json(job_dir / "started.json")
    assert runner is not None and started is not None
    runner_env, bwrap_env = _environ(runner["pid"]), _environ(started["pid"])
    assert not [v for v in runner_env if v.startswith(b"AIFHUB_")], runner_env
    # The job's variables are set inside the sandbox, never on the host-side bwrap process.
    assert not [v for v in bwrap_env if v.startswith((b"AIFHUB_", b"JOBVAR"))], bwrap_env
    job, out = await finish(backend, job_id)
    assert job.state is JobState.COMPLETED and out.strip() == "job=inside", out


@pytest.mark.parametrize("name", ["LD_PRELOAD", "LD_LIBRARY_PATH", "BASH_ENV", "GCONV_PATH"])
async def test_backend_refuses_loader_and_shell_variables(backend: LocalBackend, name: str) -> None:
    with pytest.raises(SubmissionRejected, match=name):
        await backend.submit(spec("true", env={name: "/tmp/evil.so"}))


# ---------------------------------------------------------------- through the compute API


async def test_api_refuses_workdir_outside_the_allow_list(client, db, world) -> None:
    var = str(world.settings.var_dir)
    r = await client.post("/api/v1/jobs", json=job_body(workdir=var), headers=world.member)
    assert r.status_code == 422, r.text
    scratch = str(world.settings.site_file.parent / "scratch")
    assert f"workdir {var} is not allowed" in r.text and scratch in r.text
    assert await db.scalar(select(Job.id)) is None
    inside = job_body(workdir=scratch + "/run1/../", script="pwd; echo hi > from-job.txt")
    (Path(scratch) / "run1").mkdir()
    r = await client.post("/api/v1/jobs", json=inside, headers=world.member)
    assert r.status_code == 201, r.text
    done = await wait_for(world, r.json()["id"], {"completed", "failed"})
    assert done.state == "completed", done.reason
    assert (Path(scratch) / "from-job.txt").read_text() == "hi\n"


@pytest.mark.parametrize("name", ["LD_PRELOAD", "LD_AUDIT", "BASH_ENV", "AIFHUB_DATABASE_URL"])
async def test_api_refuses_dangerous_variables(client, db, world, name: str) -> None:
    r = await client.post(
        "/api/v1/jobs", json=job_body(env={name: "/work/lib.so"}), headers=world.member
    )
    assert r.status_code == 422 and name in r.text, r.text
    assert await db.scalar(select(Job.id)) is None


async def test_network_needs_the_partition_and_a_staff_grant(client, db, world) -> None:
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    script = f"python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", {port}))'"
    staff = await api_user(db, "admin@factory.eu", staff=("admin",))
    # cpu: the site file does not allow network there.
    r = await client.post(
        "/api/v1/jobs",
        json=job_body(partition="cpu", gpus=0, script=script, allow_network=True),
        headers=world.member,
    )
    assert r.status_code == 403 and "does not allow network" in r.text, r.text
    # gpu allows it, but staff have not granted it to the project.
    net = job_body(script=script, allow_network=True)
    r = await client.post("/api/v1/jobs", json=net, headers=world.member)
    assert r.status_code == 403 and "no network grant" in r.text, r.text
    assert "does not allow" not in r.text
    # Only staff grant it.
    grant = {"project": "proj", "target": "testc/gpu", "note": "downloads"}
    r = await client.post("/api/v1/admin/network-grants", json=grant, headers=world.pi)
    assert r.status_code == 403, r.text
    r = await client.post("/api/v1/admin/network-grants", json=grant, headers=staff)
    assert r.status_code == 201, r.text
    grant_id = r.json()["id"]
    async with server:
        r = await client.post("/api/v1/jobs", json=net, headers=world.member)
        assert r.status_code == 201, r.text
        done = await wait_for(world, r.json()["id"], {"completed", "failed"})
        assert done.state == "completed", done.reason
        # Without allow_network the same job has no network, grant or not.
        r = await client.post("/api/v1/jobs", json=job_body(script=script), headers=world.member)
        offline = await wait_for(world, r.json()["id"], {"completed", "failed"})
        assert offline.state == "failed"
        # A grant revoked while a job waits: the job fails at delivery, with the reason.
        queued = (await client.post("/api/v1/jobs", json=net, headers=world.member)).json()
        r = await client.post(f"/api/v1/admin/network-grants/{grant_id}/revoke", headers=staff)
        assert r.status_code == 200 and r.json()["revoked_at"], r.text
        await run_worker_round(world)
    async with world.maker() as s:
        job = await s.get(Job, queued["id"])
        assert job is not None and job.state == "failed" and job.backend_id is None
        assert "network no longer allowed" in (job.reason or "")
        assert job.charged_hours == 0
    actions = set(await db.scalars(select(AuditEvent.action)))
    assert {"network.granted", "network.revoked"} <= actions


async def test_staff_page_grants_and_revokes_network(client, db, world) -> None:
    from ..web.helpers import HTML, user_and_login

    csrf = await user_and_login(client, db, "netadmin@factory.eu", staff=("admin",))
    page = await client.get("/staff/network", headers=HTML)
    assert page.status_code == 200 and "testc/gpu" in page.text and "testc/cpu" not in page.text
    form = {"csrf_token": csrf, "project": "proj", "target": "testc/cpu", "note": ""}
    r = await client.post("/staff/network", data=form, headers=HTML)
    assert r.status_code == 422 and "does not allow network on" in r.text
    form.update(target="testc/gpu", note="pip install")
    r = await client.post("/staff/network", data=form, headers=HTML, follow_redirects=True)
    assert r.status_code == 200 and "pip install" in r.text, r.text
    (grant_id,) = await db.scalars(select(NetworkGrant.id))
    r = await client.post(
        f"/staff/network/{grant_id}/revoke", data={"csrf_token": csrf}, headers=HTML
    )
    assert r.status_code == 303
    await db.rollback()
    assert (await db.get(NetworkGrant, grant_id)).revoked_at is not None  # type: ignore[union-attr]


async def test_only_staff_admins_grant_network(client, db, world) -> None:
    from ..web.helpers import HTML, user_and_login

    csrf = await user_and_login(client, db, "reviewer@factory.eu", staff=("reviewer",))
    form = {"csrf_token": csrf, "project": "proj", "target": "testc/gpu"}
    r = await client.post("/staff/network", data=form, headers=HTML)
    assert r.status_code == 422 and "Only staff admins" in r.text
    assert await db.scalar(select(NetworkGrant.id)) is None


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"job_uid": 0}, "job_uid of cluster 'w' must not be 0"),
        ({"bind_paths": [{"path": "scratch", "mode": "rw"}]}, "absolute path"),
        ({"bind_paths": [{"path": "/scratch", "mode": "rwx"}]}, "mode ro or rw"),
    ],
)
def test_site_file_refuses_unsafe_local_settings(settings: dict, words: str) -> None:
    from pydantic import ValidationError

    from aifhub.resources.site import ClusterConfig

    with pytest.raises(ValidationError, match=words):
        ClusterConfig.model_validate(
            {"name": "w", "backend": "local", "settings": settings, "partitions": [{"name": "p"}]}
        )
