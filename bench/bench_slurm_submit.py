"""Submission throughput: plain `sbatch --wrap true` vs SlurmBackend.submit, same cluster/run.

    SLURM_CONF=/tmp/slurm-ci/etc/slurm.conf python bench/bench_slurm_submit.py [-n 200]

Needs the cluster of scripts/start-slurm.sh (or any Slurm where account "ci" exists).
The jobs run `true`; anything left queued is cancelled at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from aifhub.backends.base import JobSpec  # noqa: E402
from aifhub.backends.slurm.commands import SlurmBackend, slurm_env  # noqa: E402


def plain_sbatch(n: int, partition: str, account: str, env: dict[str, str]) -> list[str]:
    """Submit n `sbatch --wrap true` jobs one after the other, as a shell loop would."""
    ids = []
    for _ in range(n):
        out = subprocess.run(
            ["sbatch", "--parsable", "-p", partition, "-A", account, "-t", "1",
             "-o", "/dev/null", "--wrap", "true"],
            env=env, capture_output=True, text=True, check=True, cwd="/tmp",
        )  # fmt: skip
        ids.append(out.stdout.strip())
    return ids


async def through_backend(n: int, partition: str, account: str) -> tuple[list[str], float, float]:
    """Submit n jobs with SlurmBackend.submit; return ids, submit seconds, one poll's seconds."""
    backend = SlurmBackend(slurm_conf=os.environ.get("SLURM_CONF"), log_dir="/tmp")
    spec = JobSpec(name="bench", script="true", partition=partition, account=account,
                   user=None, time_limit_s=60, comment="aifhub:bench")  # fmt: skip
    t0 = time.perf_counter()
    ids = [await backend.submit(spec) for _ in range(n)]
    submit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    await backend.poll(ids)
    return ids, submit_s, time.perf_counter() - t0


def main() -> None:
    """Time N plain sbatch calls, then N backend submissions, and print jobs/s."""
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("--partition", default="cpu")
    ap.add_argument("--account", default="ci")
    args = ap.parse_args()
    env = slurm_env(os.environ.get("SLURM_CONF"))
    t0 = time.perf_counter()
    ids = plain_sbatch(args.n, args.partition, args.account, env)
    plain = time.perf_counter() - t0
    ours_ids, ours, poll_s = asyncio.run(through_backend(args.n, args.partition, args.account))
    subprocess.run(["scancel", *ids, *ours_ids], env=env, capture_output=True)
    for job_id in ours_ids:
        for suffix in ("out", "err"):
            Path(f"/tmp/aifhub-{job_id}.{suffix}").unlink(missing_ok=True)

    print(f"jobs per method       : {args.n}")
    print(f"plain sbatch --wrap   : {plain:6.2f} s  {args.n / plain:7.1f} jobs/s")
    print(f"SlurmBackend.submit   : {ours:6.2f} s  {args.n / ours:7.1f} jobs/s")
    print(f"ratio backend/plain   : {plain / ours:6.2f}")
    print(f"one batched poll of {len(ours_ids)} ids: {poll_s * 1000:.0f} ms")


if __name__ == "__main__":
    main()
