"""Import time of the SDK (`import aifhub.client`) vs the full server app, in the same run.

    PYTHONPATH=src python bench/bench_client_import.py [--runs 7]

Each measure is a fresh interpreter (cold import, nothing cached in the process; the OS file
cache is warm after the first run): it times the import statement alone with perf_counter and
counts the aifhub modules it loaded. The server side imports `aifhub.app` (every domain, the
ORM, FastAPI). Prints the medians and the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TIMED = """
import json, sys, time
t0 = time.perf_counter()
import {module}
seconds = time.perf_counter() - t0
print(json.dumps({{"s": seconds, "aifhub": sum(m.startswith("aifhub") for m in sys.modules),
                  "all": len(sys.modules)}}))
"""


def measure(module: str) -> dict[str, float]:
    """Import `module` in a new interpreter; its import seconds and module counts."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    out = subprocess.run(
        [sys.executable, "-c", TIMED.format(module=module)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(json.loads(out))


def main() -> None:
    """Time both imports `--runs` times, interleaved, and print medians and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    measure("aifhub.client")  # warm the OS file cache and the bytecode files first
    measure("aifhub.app")
    client, server = [], []
    for _ in range(args.runs):
        client.append(measure("aifhub.client"))
        server.append(measure("aifhub.app"))
    c = statistics.median(r["s"] for r in client)
    s = statistics.median(r["s"] for r in server)
    rows = (("import aifhub.client", client, c), ("import aifhub.app", server, s))
    for name, runs, median in rows:
        print(
            f"{name:22} median {median * 1000:7.1f} ms  "
            f"({int(runs[0]['aifhub'])} aifhub modules, {int(runs[0]['all'])} in all)"
        )
    print(f"ratio app/client: {s / c:.1f}x  ({args.runs} runs each)")


if __name__ == "__main__":
    main()
