"""The operator guide's walkthrough, run for real: empty Slurm -> first allocation -> first job.

    sudo .venv/bin/python scripts/operator_walkthrough.py [--keep]

Needs root and the single-node Slurm of scripts/start-slurm.sh (started if missing). Runs
every command of docs/operators.md's "From an empty Slurm to a first job charged" in a fresh
folder (SQLite, a site file naming a new parent account) and prints each with its output, so
the guide's expected outputs can be checked against what the code says today. The Slurm
accounts, the Unix user and the folder it creates are removed at the end (unless --keep).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "walkthrough-Passw0rd"


def shell(
    argv: list[str],
    env: dict[str, str],
    *,
    check: bool = True,
    show: bool = True,
    stdin: str | None = None,
) -> str:
    """Run one command, print it and its output as the guide shows them."""
    shown = " ".join(a if " " not in a else repr(a) for a in argv)
    if argv[:3] == [sys.executable, "-m", "aifhub"]:
        shown = "aifhub " + " ".join(a if " " not in a else repr(a) for a in argv[3:])
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, input=stdin, timeout=300)
    out = (proc.stdout + proc.stderr).rstrip()
    if show:
        print(f"$ {shown}\n{out}\n", flush=True)
    if check and proc.returncode != 0:
        raise SystemExit(f"step failed ({proc.returncode}): {shown}")
    return proc.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def make_users(env: dict[str, str]) -> None:
    """The PI (who signed up at /register and verified the address) and a reviewer (an admin
    granted the role at /staff/users): what a person does in the browser, done directly."""
    os.environ.update(env)
    from aifhub.core.config import Settings
    from aifhub.core.db import make_engine, make_sessionmaker
    from aifhub.identity.service import create_user

    engine = make_engine(Settings().resolved_database_url())
    async with make_sessionmaker(engine)() as s:
        await create_user(
            s, email="pi@lab.example.eu", name="Ada PI", password=PASSWORD, email_verified=True
        )
        await create_user(
            s,
            email="reviewer@factory.example.eu",
            name="Rita Reviewer",
            password=PASSWORD,
            staff_roles=["reviewer"],
            email_verified=True,
        )
        await s.commit()
    await engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--keep", action="store_true", help="Keep the folder, accounts and user")
    args = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root: the walkthrough starts Slurm and adds a Unix user")
    base = os.environ.get("SLURM_CI_BASE", "/tmp/slurm-ci")
    subprocess.run(
        ["bash", str(REPO / "scripts" / "start-slurm.sh"), "start"],
        check=True,
        capture_output=True,
        env={**os.environ, "SLURM_CI_BASE": base},
    )
    slurm_conf = f"{base}/etc/slurm.conf"
    tag = uuid.uuid4().hex[:6]
    parent, login = f"aifhub{tag}", f"ada{tag}"
    work = Path(tempfile.mkdtemp(prefix="aifhub-walkthrough-"))
    logs = work / "job-logs"
    logs.mkdir(mode=0o1777)
    logs.chmod(0o1777)
    work.chmod(0o755)
    site = work / "site.toml"
    site.write_text(f"""factory_name = "Walkthrough factory"

[[clusters]]
name = "ci"
backend = "slurm"
account_format = "{{project}}"
[clusters.settings]
slurm_conf = "{slurm_conf}"
cluster_name = "ci"
parent_account = "{parent}"
log_dir = "{logs}"

[[clusters.partitions]]
name = "gpu"
accelerator = "A100"
gpus_per_node = 2
cores_per_node = 16
mem_mb_per_node = 16384
max_time = "24h"
charge_factor = "2"
""")
    port = free_port()
    env = {
        **os.environ,
        "AIFHUB_VAR_DIR": str(work / "var"),
        "AIFHUB_SITE_FILE": str(site),
        "AIFHUB_BASE_URL": f"http://127.0.0.1:{port}",
        "SLURM_CONF": slurm_conf,
        "COLUMNS": "100",
    }
    aifhub = [sys.executable, "-m", "aifhub"]
    subprocess.run(["useradd", "-m", login], check=True)
    server = None
    try:
        print(f"# site file: cluster 'ci', parent account '{parent}', login '{login}'\n")
        shell([*aifhub, "db", "upgrade"], env)
        shell([*aifhub, "clusters", "sync"], env)
        shell([*aifhub, "clusters", "check"], env, check=False)
        shell(
            [
                *aifhub,
                "create-admin",
                "admin@factory.example.eu",
                "--name",
                "Ops",
                "--password",
                PASSWORD,
            ],
            env,
        )
        asyncio.run(make_users(env))
        server = subprocess.Popen(
            [*aifhub, "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        url = f"http://127.0.0.1:{port}"
        homes = {who: work / f"home-{who}" for who in ("pi", "admin", "reviewer")}

        def as_(who: str) -> dict[str, str]:
            return {**env, "XDG_CONFIG_HOME": str(homes[who])}

        for who, email, extra in (
            ("pi", "pi@lab.example.eu", []),
            ("admin", "admin@factory.example.eu", ["--admin"]),
            ("reviewer", "reviewer@factory.example.eu", ["--admin"]),
        ):
            shell(
                [*aifhub, "login", "--url", url, "--email", email, "--password-stdin", *extra],
                as_(who),
                stdin=PASSWORD + "\n",
                show=who == "pi",
            )
        pi, admin, rev = as_("pi"), as_("admin"), as_("reviewer")
        shell(
            [
                *aifhub,
                "orgs",
                "create",
                "ada-lab",
                "--name",
                "Ada Lab",
                "--kind",
                "startup",
                "--country",
                "FR",
            ],
            pi,
        )
        shell(
            [
                *aifhub,
                "projects",
                "create",
                "llm-fr",
                "--name",
                "LLM FR",
                "--org",
                "ada-lab",
                "--sector",
                "health",
            ],
            pi,
        )
        app = json.loads(
            shell(
                [
                    *aifhub,
                    "apply",
                    "--project",
                    "llm-fr",
                    "--mode",
                    "fast-lane",
                    "--title",
                    "Fine-tune a French LLM",
                    "--months",
                    "3",
                    "--hours",
                    "ci/gpu=10",
                    "--submit",
                    "--json",
                ],
                pi,
                show=False,
            )
        )
        app_id = str(app["id"])
        print(
            f"$ aifhub apply --project llm-fr --mode fast-lane --title 'Fine-tune a French LLM' "
            f"--months 3 --hours ci/gpu=10 --submit\n(application {app_id}, submitted)\n"
        )
        shell([*aifhub, "applications", "assess", app_id], admin)
        shell(
            [
                *aifhub,
                "applications",
                "assign",
                app_id,
                "--reviewer",
                "reviewer@factory.example.eu",
            ],
            admin,
        )
        reviews = json.loads(shell([*aifhub, "reviews", "list", "--json"], rev, show=False))
        shell(
            [
                *aifhub,
                "reviews",
                "submit",
                str(reviews[0]["id"]),
                "--score",
                "feasibility=4",
                "--score",
                "quality=4",
                "--score",
                "impact=5",
                "--score",
                "resources=4",
                "--comment",
                "Sound plan.",
            ],
            rev,
        )
        shell(
            [
                *aifhub,
                "applications",
                "decide",
                app_id,
                "accept",
                "--reason",
                "Clear plan, modest hours.",
            ],
            admin,
        )
        shell([*aifhub, "logins", "map", "pi@lab.example.eu", "ci", login], admin)
        shell([*aifhub, "allocations", "push", "--dry-run"], env)
        shell([*aifhub, "allocations", "push"], env)
        shell([*aifhub, "allocations", "push"], env)
        shell(
            [
                "sacctmgr",
                "-n",
                "-P",
                "show",
                "assoc",
                f"account={parent},llm-fr",
                "format=Account,User,ParentName,GrpTRESMins,GrpSubmit,GrpJobs",
            ],
            env,
        )
        script = work / "train.sh"
        script.write_text('#!/bin/bash\necho "GPU: $CUDA_VISIBLE_DEVICES"\nsleep 20\n')
        job = json.loads(
            shell(
                [
                    *aifhub,
                    "submit",
                    str(script),
                    "--project",
                    "llm-fr",
                    "--partition",
                    "ci/gpu",
                    "--gpus",
                    "1",
                    "--time",
                    "10m",
                    "--json",
                ],
                pi,
                show=False,
            )
        )
        print(
            f"$ aifhub submit train.sh --project llm-fr --partition ci/gpu --gpus 1 --time 10m"
            f"\n(job {job['id']}: {job['state']}, reserved {job.get('reserved_hours')})\n"
        )
        for _ in range(120):
            state = json.loads(shell([*aifhub, "job", str(job["id"]), "--json"], pi, show=False))
            if state["state"] in ("completed", "failed") and state.get("charged_hours"):
                break
            time.sleep(2)
        shell([*aifhub, "job", str(job["id"])], pi)
        shell([*aifhub, "usage", "llm-fr"], pi)
        shell(
            [
                "sacct",
                "-n",
                "-P",
                "-X",
                "-A",
                "llm-fr",
                "--format=JobID,Account,User,State,ElapsedRaw,AllocTRES",
            ],
            env,
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if not args.keep:
            subprocess.run(
                ["sacctmgr", "-i", "delete", "account", f"llm-fr,{parent}"],
                env=env,
                capture_output=True,
            )
            subprocess.run(["userdel", "-r", login], capture_output=True)
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
