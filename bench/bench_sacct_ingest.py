"""Parse speed of the sacct parser on synthetic rows (the DB ingest is the compute domain's).

python bench/bench_sacct_ingest.py [-n 100000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from aifhub.backends.slurm.sbatch import SACCT_DELIMITER, parse_sacct  # noqa: E402

STATES = ["COMPLETED"] * 6 + ["FAILED", "CANCELLED by 1001", "TIMEOUT", "RUNNING", "OUT_OF_MEMORY"]


def synthetic_sacct(n: int, seed: int = 1) -> str:
    """N rows shaped like `sacct -a -X -P -n --delimiter=US -o SACCT_FIELDS`."""
    rnd = random.Random(seed)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(n):
        sub = base + timedelta(seconds=i * 7)
        start = sub + timedelta(seconds=rnd.randint(0, 600))
        elapsed = rnd.randint(1, 86400)
        end = start + timedelta(seconds=elapsed)
        gpus, cpus = rnd.choice([0, 1, 2, 4, 8]), rnd.choice([1, 4, 16, 32])
        tres = f"billing={cpus},cpu={cpus},{f'gres/gpu={gpus},' if gpus else ''}mem=8G,node=1"
        rows.append(
            SACCT_DELIMITER.join(
                [
                    str(100000 + i),
                    f"proj{i % 3000}",
                    f"user{i % 5000}",
                    rnd.choice(["gpu", "cpu"]),
                    rnd.choice(STATES),
                    sub.strftime("%Y-%m-%dT%H:%M:%S"),
                    start.strftime("%Y-%m-%dT%H:%M:%S"),
                    end.strftime("%Y-%m-%dT%H:%M:%S"),
                    str(elapsed),
                    tres,
                    f"train-{i}",
                    "0:0",
                    f"aifhub:{i}",
                ]
            )  # fmt: skip
        )
    return "\n".join(rows) + "\n"


def main() -> None:
    """Generate rows, parse them a few times, print the best records/s."""
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    text = synthetic_sacct(args.n)
    best = float("inf")
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        records = parse_sacct(text)
        best = min(best, time.perf_counter() - t0)
    assert len(records) == args.n
    gpu_s = sum(r.elapsed_s * r.alloc_gpus for r in records)
    print(f"rows parsed     : {len(records)} ({len(text) / 1e6:.1f} MB of sacct output)")
    print(f"best of {args.repeat} parses: {best:.3f} s  {len(records) / best:,.0f} records/s")
    print(f"check: {gpu_s / 3600:,.0f} GPU-hours in the sample")


if __name__ == "__main__":
    main()
