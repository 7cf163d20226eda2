"""The local backend with real processes, real files and (when installed) real bubblewrap."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aifhub.backends.base import (
    BackendJob,
    ComputeBackend,
    JobSpec,
    JobState,
    StagedInput,
    SubmissionRejected,
)
from aifhub.backends.local.backend import LOST_REASON, LocalBackend
from aifhub.backends.local.files import process_start_time
from aifhub.backends.registry import make_backend


def spec(script: str, *, limit: int = 30, **kw: object) -> JobSpec:
    fields: dict[str, object] = {"partition": "local", "account": None, "user": None}
    return JobSpec(name="t", script=script, time_limit_s=limit, **{**fields, **kw})  # type: ignore[arg-type]


async def wait_state(
    backend: LocalBackend, job_id: str, done: set[JobState] | None = None, within: float = 20
) -> BackendJob:
    """Poll until the job reaches one of ``done`` (terminal states by default)."""
    deadline = time.monotonic() + within
    while True:
        job = (await backend.poll([job_id]))[job_id]
        if (job.state in done) if done else job.state.is_terminal:
            return job
        assert time.monotonic() < deadline, f"job {job_id} stuck in {job}"
        await asyncio.sleep(0.05)


@pytest.fixture
async def backend(tmp_path: Path):
    b = LocalBackend(tmp_path / "state", cpus=2, gpus=1, mem_mb=4096, kill_grace_s=1)
    yield b
    await b.aclose()


async def test_make_backend_local(tmp_path: Path) -> None:
    b = make_backend("local", {"state_dir": str(tmp_path), "cpus": 3, "gpus": 2})
    assert isinstance(b, LocalBackend) and b.cpus == 3 and b.gpus == 2
    with pytest.raises(ValueError, match="unknown backend kind"):
        make_backend("pbs", {})


async def test_job_completes_with_output(backend: LocalBackend) -> None:
    job_id = await backend.submit(spec('echo hello; echo oops >&2; echo "$AIFHUB_JOB_ID"'))
    job = await wait_state(backend, job_id)
    assert job.state is JobState.COMPLETED and job.exit_code == 0
    assert job.started_at and job.ended_at and job.started_at.tzinfo is UTC
    out, off = await backend.read_log(job_id)
    assert out == f"hello\n{job_id}\n" and off == len(out)
    assert await backend.read_log(job_id, off) == ("", off)
    assert (await backend.read_log(job_id, 0, "stderr"))[0] == "oops\n"
    tail = await backend.read_log_tail(job_id, "stderr", 3)
    assert (tail.text, tail.start, tail.end) == ("ps\n", 2, 5)
    # The interface's own (forward-reading) tail says the same as the local file's seek.
    generic = await ComputeBackend.read_log_tail(backend, job_id, "stdout", 4)
    assert generic == await backend.read_log_tail(job_id, "stdout", 4)
    assert generic.end == off and generic.start == off - 4


async def test_nonzero_exit_is_failed(backend: LocalBackend) -> None:
    job = await wait_state(backend, await backend.submit(spec("exit 7")))
    assert job.state is JobState.FAILED and job.exit_code == 7


async def test_follow_log_incrementally(backend: LocalBackend) -> None:
    job_id = await backend.submit(spec("echo one; sleep 0.6; echo two-é"))
    await wait_state(backend, job_id, {JobState.RUNNING})
    deadline = time.monotonic() + 5
    text, off = "", 0
    while "one" not in text:
        assert time.monotonic() < deadline
        text, off = await backend.read_log(job_id, off)
        await asyncio.sleep(0.05)
    await wait_state(backend, job_id)
    rest, off2 = await backend.read_log(job_id, off)
    assert rest == "two-é\n" and off2 == off + len(rest.encode())


async def test_timeout_kills_the_process_group(backend: LocalBackend) -> None:
    # A background child must die with the job, not linger after the limit; it would leave
    # its marker in the job's own work folder.
    script = "(sleep 4; touch child-alive) & sleep 30"
    t0 = time.monotonic()
    job_id = await backend.submit(spec(script, limit=1))
    job = await wait_state(backend, job_id)
    assert job.state is JobState.TIMEOUT
    assert time.monotonic() - t0 < 6
    await asyncio.sleep(4.5)
    assert not (backend.jobs_dir / job_id / "work" / "child-alive").exists()


async def test_cancel_running_and_pending(backend: LocalBackend) -> None:
    running = await backend.submit(spec("sleep 30", gpus=1))
    queued = await backend.submit(spec("echo never", gpus=1))
    await wait_state(backend, running, {JobState.RUNNING})
    assert (await backend.poll([queued]))[queued].state is JobState.PENDING
    await backend.cancel(queued)
    await backend.cancel(running)
    states = await backend.poll([running, queued])
    assert states[running].state is JobState.CANCELLED
    assert states[queued].state is JobState.CANCELLED and states[queued].started_at is None
    assert (await backend.read_log(queued))[0] == ""
    await backend.cancel(running)  # cancelling a finished job is a no-op


async def test_gpu_jobs_run_one_after_the_other(backend: LocalBackend) -> None:
    script = 'echo "gpu=[$CUDA_VISIBLE_DEVICES]"; date +%s.%N; sleep 1; date +%s.%N'
    a = await backend.submit(spec(script, gpus=1))
    b = await backend.submit(spec(script, gpus=1))
    c = await backend.submit(spec('echo "gpu=[$CUDA_VISIBLE_DEVICES]"'))  # backfills on the CPU
    assert (await backend.poll([b]))[b].state is JobState.PENDING
    for j in (a, b, c):
        assert (await wait_state(backend, j)).state is JobState.COMPLETED
    out_a = (await backend.read_log(a))[0].split()
    out_b = (await backend.read_log(b))[0].split()
    assert out_a[0] == out_b[0] == "gpu=[0]"
    assert float(out_b[1]) >= float(out_a[2])  # b started after a ended
    assert (await backend.read_log(c))[0] == "gpu=[]\n"


async def test_backfill_never_exceeds_cpus(tmp_path: Path) -> None:
    b = LocalBackend(tmp_path / "s", cpus=2, gpus=0, mem_mb=1000, kill_grace_s=1)
    script = "date +%s.%N; sleep 0.5; date +%s.%N"
    ids = [await b.submit(spec(script, cpus_per_task=1)) for _ in range(5)]
    for j in ids:
        assert (await wait_state(b, j)).state is JobState.COMPLETED
    spans = []
    for j in ids:
        start, end = map(float, (await b.read_log(j))[0].split())
        spans.append((start, end))
    for t in [s for s, _ in spans]:
        assert sum(1 for s, e in spans if s <= t < e) <= 2
    with pytest.raises(SubmissionRejected, match="node has 2 CPUs"):
        await b.submit(spec("true", cpus_per_task=3))
    await b.aclose()


async def test_restart_adopts_a_running_job(tmp_path: Path) -> None:
    state = tmp_path / "state"
    b1 = LocalBackend(state, cpus=2, gpus=0, mem_mb=1000)
    job_id = await b1.submit(spec("sleep 1.5; echo done"))
    await wait_state(b1, job_id, {JobState.RUNNING})
    await b1.aclose()
    del b1
    gc.collect()
    b2 = LocalBackend(state, cpus=2, gpus=0, mem_mb=1000)
    assert (await b2.poll([job_id]))[job_id].state is JobState.RUNNING
    job = await wait_state(b2, job_id)
    assert job.state is JobState.COMPLETED and (await b2.read_log(job_id))[0] == "done\n"
    again = await b2.submit(spec("true"))
    assert int(again) == int(job_id) + 1  # ids continue, never reused
    await wait_state(b2, again)
    await b2.aclose()


async def test_lost_runner_is_failed(backend: LocalBackend) -> None:
    job_id = await backend.submit(spec("sleep 30"))
    await wait_state(backend, job_id, {JobState.RUNNING})
    job_dir = backend.state_dir / "jobs" / job_id
    runner = json.loads((job_dir / "runner.json").read_text())
    started = json.loads((job_dir / "started.json").read_text())
    os.kill(runner["pid"], signal.SIGKILL)
    job = await wait_state(backend, job_id)
    assert job.state is JobState.FAILED and job.reason == LOST_REASON
    await asyncio.sleep(0.2)
    # the orphaned job was killed too (a zombie nobody reaped counts as gone)
    assert process_start_time(started["pid"]) is None


async def test_accounting_of_finished_jobs(backend: LocalBackend) -> None:
    t0 = datetime.now(UTC) - timedelta(seconds=1)
    job_id = await backend.submit(
        spec("sleep 1.1", gpus=1, cpus_per_task=2, account="acme", comment="aifhub:42")
    )
    await wait_state(backend, job_id)
    records = {r.backend_id: r for r in await backend.accounting(t0)}
    rec = records[job_id]
    assert rec.comment == "aifhub:42" and rec.account == "acme" and rec.name == "t"
    assert rec.alloc_gpus == 1 and rec.alloc_cpus == 2 and rec.elapsed_s >= 1
    assert rec.state is JobState.COMPLETED and rec.exit_code == 0
    assert await backend.accounting(datetime.now(UTC) + timedelta(seconds=5)) == []


async def test_env_and_inputs(backend: LocalBackend, tmp_path: Path) -> None:
    data = tmp_path / "data.txt"
    data.write_text("payload\n")
    s = spec(
        'echo "$GREETING"; cat "$AIFHUB_INPUT_DATA"; echo "secret=${AIFHUB_DB_PASSWORD-unset}"',
        env={"GREETING": 'it\'s "quoted"\nline2'},
        inputs=[StagedInput("data", str(data), "/inputs/data.txt")],
    )
    os.environ["AIFHUB_DB_PASSWORD"] = "s3cret"  # the platform's environment must not leak
    try:
        job = await wait_state(backend, await backend.submit(s))
    finally:
        del os.environ["AIFHUB_DB_PASSWORD"]
    out = (await backend.read_log(job.backend_id))[0]
    assert job.state is JobState.COMPLETED, out
    assert out == 'it\'s "quoted"\nline2\npayload\nsecret=unset\n'


async def test_sandbox_blocks_network_and_writes(
    bwrap_installed: str, backend: LocalBackend, tmp_path: Path
) -> None:
    assert backend.bwrap == bwrap_installed
    outside = tmp_path / "outside.txt"
    data = tmp_path / "in.txt"
    data.write_text("x")
    script = f"""
python3 -c 'import socket; socket.create_connection(("127.0.0.1", 22), timeout=2)' 2>/dev/null \\
  && echo net=open || echo net=blocked
touch {outside} /work/aifhub-probe 2>/dev/null && echo outside=written || echo outside=refused
touch /usr/aifhub-probe 2>/dev/null && echo usr=written || echo usr=refused
touch /aifhub-probe 2>/dev/null && echo root=written || echo root=refused
echo hi > /inputs/in.txt 2>/dev/null && echo input=written || echo input=refused
echo ok > here.txt && cat here.txt
cat {backend.state_dir}/next_id >/dev/null 2>&1 && echo state=visible || echo state=hidden
"""
    s = spec(script, inputs=[StagedInput("in", str(data), "/inputs/in.txt")])
    job = await wait_state(backend, await backend.submit(s))
    out = (await backend.read_log(job.backend_id))[0]
    assert job.state is JobState.COMPLETED, out
    assert out.split() == [
        "net=blocked", "outside=refused", "usr=refused", "root=refused", "input=refused", "ok",
        "state=hidden",
    ]  # fmt: skip
    assert not outside.exists() and data.read_text() == "x"


async def test_sandbox_network_when_allowed(bwrap_installed: str, backend: LocalBackend) -> None:
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    script = f"python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", {port}))'"
    async with server:
        ok = await wait_state(backend, await backend.submit(spec(script, allow_network=True)))
        blocked = await wait_state(backend, await backend.submit(spec(script)))
    assert ok.state is JobState.COMPLETED
    assert blocked.state is JobState.FAILED


async def test_unknown_id(backend: LocalBackend) -> None:
    assert (await backend.poll(["999"]))["999"].state is JobState.UNKNOWN
    assert await backend.health()
    assert sys.executable


async def test_a_counter_left_empty_by_a_killed_process_never_blocks_or_reuses_ids(
    backend: LocalBackend,
) -> None:
    first = await backend.submit(spec("true"))
    # What a SIGKILL between truncate and write used to leave behind.
    (backend.state_dir / "next_id").write_text("")
    second = await backend.submit(spec("true"))
    (backend.state_dir / "next_id").write_text(first)  # a stale hint pointing at a used id
    third = await backend.submit(spec("true"))
    assert len({first, second, third}) == 3
    for job_id in (first, second, third):
        assert (await wait_state(backend, job_id)).state is JobState.COMPLETED


async def test_a_relative_state_dir_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # what `aifhub serve` in a checkout gives: var/... paths
    b = LocalBackend("var/local-backend", cpus=1, gpus=0, mem_mb=1000, kill_grace_s=1)
    try:
        job_id = await b.submit(spec("echo relative-ok"))
        job = await wait_state(b, job_id)
        assert job.state is JobState.COMPLETED, await b.read_log(job_id, 0, "stderr")
        assert (await b.read_log(job_id))[0] == "relative-ok\n"
    finally:
        await b.aclose()
