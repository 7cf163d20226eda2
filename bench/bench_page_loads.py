"""Page loads over the browser journeys: p50/p95 of server time and of the browser's load event.

The browser tests record every page load they make (tests/browser_fixtures.py writes
page-timings.json into the test artifacts folder); this prints the figures of the last run.

    make test   (or: scripts/test.sh -m browser)
    .venv/bin/python bench/bench_page_loads.py [test-artifacts/page-timings.json]
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between the closest ranks."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "test-artifacts/page-timings.json")
    if not path.exists():
        sys.exit(f"{path} is missing: run the browser tests first (scripts/test.sh -m browser)")
    rows = json.loads(path.read_text())
    if not rows:
        sys.exit(f"{path} holds no page load")
    paths = len({r["path"] for r in rows})
    print(f"page loads over the browser journeys: {len(rows)} loads, {paths} paths")
    for label, key in (
        ("server time (request to first byte)", "server_ms"),
        ("browser load event", "load_ms"),
    ):
        values = [r[key] for r in rows]
        p50, p95 = percentile(values, 50), percentile(values, 95)
        print(f"  {label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    slowest = sorted(rows, key=lambda r: r["load_ms"], reverse=True)[:5]
    print("  slowest loads: " + ", ".join(f"{r['path']} {r['load_ms']:.0f} ms" for r in slowest))


if __name__ == "__main__":
    main()
