"""The CLI against a real server process: submit, jobs, logs, cancel, usage (SDK underneath)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from .conftest import run_worker_round

SRC = Path(__file__).resolve().parents[2] / "src"
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "aifhub", *args]
    return await asyncio.to_thread(subprocess.run, cmd, env=env, capture_output=True, text=True)


async def test_cli_submit_jobs_logs_cancel_usage(client, db, world, settings, tmp_path):
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
        script = tmp_path / "train.sh"
        script.write_text("echo cli-output-$AIFHUB_JOB_ID\necho cli-error >&2\n")
        r = await _cli(env, "submit", str(script), "--project", "proj", "--partition", "gpu",
                       "--gpus", "1", "--time", "5m", "--json")  # fmt: skip
        assert r.returncode == 0, r.stderr
        import json

        job = json.loads(r.stdout)
        assert job["name"] == "train" and job["state"] == "queued"
        bad = await _cli(env, "submit", str(script), "--project", "proj", "--partition", "gpu",
                         "--gpus", "9")  # fmt: skip
        assert bad.returncode == 1 and "9 GPUs asked" in " ".join(bad.stderr.split())
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
        assert cancel.returncode == 1 and "already ended" in " ".join(cancel.stderr.split())
        csv = await _cli(env, "usage", "proj", "--csv")
        assert csv.returncode == 0 and csv.stdout.startswith("day,allocation_id")
    finally:
        server.terminate()
        await server.wait()
