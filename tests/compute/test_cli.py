"""The CLI against a real server process: submit, jobs, logs, cancel, usage (SDK underneath)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from aifhub.client.output import ExitCode

from ..catalog.helpers import owner_with_asset, publish
from .conftest import run_worker_round, wait_for
from .test_inputs_catalog import _world

SRC = Path(__file__).resolve().parents[2] / "src"
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "aifhub", *args]
    return await asyncio.to_thread(subprocess.run, cmd, env=env, capture_output=True, text=True)


@asynccontextmanager
async def cli_server(world, settings, tmp_path) -> AsyncIterator[dict[str, str]]:
    """A real server process on the test database; yields the CLI's environment (member)."""
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "AIFHUB_DATABASE_URL": settings.database_url,
        "AIFHUB_SITE_FILE": str(world.settings.site_file),
        "AIFHUB_VAR_DIR": str(world.settings.var_dir),
        "AIFHUB_SECRET_KEY": "test-secret",
        "AIFHUB_RUN_WORKER_IN_PROCESS": "0",
        "AIFHUB_URL": f"http://127.0.0.1:{port}",
        "AIFHUB_TOKEN": world.member["Authorization"].split(" ", 1)[1],
        "HOME": str(tmp_path),
    }
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "uvicorn", "aifhub.app:create_app", "--factory",
        "--port", str(port), "--log-level", "warning", env=env,
    )  # fmt: skip
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(100):
                try:
                    if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        yield env
    finally:
        server.terminate()
        await server.wait()


async def test_cli_submit_jobs_logs_cancel_usage(client, db, world, settings, tmp_path):
    async with cli_server(world, settings, tmp_path) as env:
        script = tmp_path / "train.sh"
        script.write_text("echo cli-output-$AIFHUB_JOB_ID\necho cli-error >&2\n")
        r = await _cli(env, "submit", str(script), "--project", "proj", "--partition", "gpu",
                       "--gpus", "1", "--time", "5m", "--json")  # fmt: skip
        assert r.returncode == 0, r.stderr
        job = json.loads(r.stdout)
        assert job["name"] == "train" and job["state"] == "queued"
        bad = await _cli(env, "submit", str(script), "--project", "proj", "--partition", "gpu",
                         "--gpus", "9")  # fmt: skip
        assert bad.returncode == ExitCode.INVALID and "9 GPUs asked" in " ".join(bad.stderr.split())
        deadline = time.monotonic() + 90
        while True:
            await run_worker_round(world)
            shown = await _cli(env, "jobs", "--json")
            states = {j["id"]: j["state"] for j in json.loads(shown.stdout)}
            if states[job["id"]] == "completed":
                break
            assert time.monotonic() < deadline, states
        logs = await _cli(env, "logs", str(job["id"]), "--follow")
        assert logs.returncode == 0 and logs.stdout == f"cli-output-{job['id']}\n"
        errors = await _cli(env, "logs", str(job["id"]), "--stderr")
        assert errors.returncode == 0 and errors.stdout == "cli-error\n"
        failing = tmp_path / "typo.sh"
        failing.write_text("echo starting\npyhton3 train.py\n")
        r = await _cli(env, "submit", str(failing), "--project", "proj", "--partition", "cpu",
                       "--time", "1m", "--json")  # fmt: skip
        failed_id = json.loads(r.stdout)["id"]
        deadline = time.monotonic() + 60
        while True:
            await run_worker_round(world)
            shown = await _cli(env, "job", str(failed_id))
            if "failed" in shown.stdout:
                break
            assert time.monotonic() < deadline, shown.stdout
        text = " ".join(shown.stdout.split())
        assert shown.returncode == 0 and "exit code │ 127" in text, text
        assert "A command was not found" in text and "(command_not_found)" in text
        assert "pyhton3: command not found" in text
        as_json = json.loads((await _cli(env, "job", str(failed_id), "--json")).stdout)
        assert as_json["explanation"]["key"] == "command_not_found"
        cancel = await _cli(env, "cancel", str(job["id"]))
        assert cancel.returncode == ExitCode.CONFLICT and "already ended" in " ".join(
            cancel.stderr.split()
        )
        csv = await _cli(env, "usage", "proj", "--csv")
        assert csv.returncode == 0 and csv.stdout.startswith("day,allocation_id")


async def test_cli_submit_with_inputs_and_a_crlf_script(client, db, world, settings, tmp_path):
    w = _world(world, settings)
    owner = await owner_with_asset(client, db, access_policy="open")
    await publish(client, owner, "neuro/mri-small", "v1", {"a.txt": b"scan-7\n"})
    async with cli_server(world, settings, tmp_path) as env:
        script = tmp_path / "read.sh"
        # Saved by a Windows editor: CRLF line ends and a byte-order mark.
        script.write_bytes(b'\xef\xbb\xbfecho one\r\ncat "$AIFHUB_INPUT_NEURO_MRI_SMALL/a.txt"\r\n')
        r = await _cli(env, "submit", str(script), "--project", "proj", "--partition", "cpu",
                       "--time", "5m", "--input", "neuro/mri-small@v1", "--json")  # fmt: skip
        assert r.returncode == 0, r.stderr
        job = json.loads(r.stdout)
        assert job["inputs"] == [{"kind": "dataset", "ref": "neuro/mri-small@v1"}]
        done = await wait_for(w, job["id"], {"completed", "failed"})
        assert done.state == "completed", done.reason
        assert done.script == 'echo one\ncat "$AIFHUB_INPUT_NEURO_MRI_SMALL/a.txt"\n'
        logs = await _cli(env, "logs", str(job["id"]))
        assert logs.returncode == 0 and logs.stdout == "one\nscan-7\n"
        # The kind written out, and a wrong or unknown input: refused, saying why.
        r = await _cli(env, "submit", str(script), "--project", "proj", "--partition", "cpu",
                       "--input", "dataset:neuro/mri-small@v1", "--json")  # fmt: skip
        assert r.returncode == 0, r.stderr
        r = await _cli(env, "submit", str(script), "--project", "proj", "--partition", "cpu",
                       "--input", "model:neuro/mri-small@v1")  # fmt: skip
        assert r.returncode == ExitCode.INVALID and "is a dataset, not a model" in " ".join(
            r.stderr.split()
        )
        r = await _cli(env, "submit", str(script), "--project", "proj", "--partition", "cpu",
                       "--input", "neuro/nothing@v1")  # fmt: skip
        assert r.returncode == ExitCode.NOT_FOUND and "No asset 'neuro/nothing'" in " ".join(
            r.stderr.split()
        )
