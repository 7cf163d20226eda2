"""How fast `aifhub serve` answers /healthz, how much memory it holds, and CLI start time.

    PYTHONPATH=src python bench/bench_startup.py [--runs 5]

Each run starts `python -m aifhub serve --no-worker` on a migrated SQLite file, times process
start -> first 200 from /healthz, then reads the RSS of the process tree (psutil) right after
start and after 200 API requests. It also times `python -m aifhub --help` (the CLI's start).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from seed import REPO, server, sqlite_database  # noqa: E402

from aifhub.core.migrate import upgrade  # noqa: E402


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children, in MiB."""
    proc = psutil.Process(pid)
    total = proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(recursive=True))
    return total / 2**20


def summary(values: list[float], unit: str) -> str:
    return (
        f"median {statistics.median(values):7.2f} {unit}  "
        f"min {min(values):7.2f}  max {max(values):7.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    ready, rss_start, rss_after = [], [], []
    with sqlite_database() as url:
        upgrade(url)
        for _ in range(args.runs):
            with server(url) as (base, proc, seconds):
                ready.append(seconds)
                rss_start.append(rss_mib(proc.pid))
                with httpx.Client(base_url=base) as c:
                    for _ in range(200):
                        c.get("/api/v1/projects")  # 401 path: routing, errors, DB session
                        c.get("/healthz")
                rss_after.append(rss_mib(proc.pid))
    env = {"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"}
    cli = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "aifhub", "--help"], env=env, capture_output=True)
        cli.append(time.perf_counter() - t0)
    print(f"serve: start -> /healthz 200   {summary(ready, 's')}  ({args.runs} runs)")
    print(f"serve: RSS after start         {summary(rss_start, 'MiB')}")
    print(f"serve: RSS after 400 requests  {summary(rss_after, 'MiB')}")
    print(f"cli:   aifhub --help           {summary(cli, 's')}")
    print(
        f"load average during the runs: {psutil.getloadavg()[0]:.1f} on {psutil.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
