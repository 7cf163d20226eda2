"""The demo data and the CLI, run as real `aifhub` processes on a fresh SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def aifhub(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "AIFHUB_VAR_DIR": str(tmp), "COLUMNS": "200"}
    env.pop("AIFHUB_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "aifhub", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_demo_then_tickets_courses_and_recommend(tmp_path):
    r = aifhub(tmp_path, "demo")
    assert r.returncode == 0, r.stderr
    alice = ("--as", "alice@neuroscan.example")
    r = aifhub(tmp_path, "recommend", "brain-mri-seg", *alice)
    assert r.returncode == 0, r.stderr
    assert "Victor Vision" in r.stdout and "Deep learning for medical imaging" in r.stdout
    assert "same sector: health" in r.stdout
    r = aifhub(
        tmp_path,
        "tickets",
        "open",
        "brain-mri-seg",
        *alice,
        "--title",
        "MRI loader is slow",
        "--body",
        "Our dataloader reads NIfTI files at 20 MB/s",
        "--category",
        "data",
    )
    assert r.returncode == 0, r.stderr
    assert "ticket #1 opened" in r.stdout
    r = aifhub(
        tmp_path,
        "tickets",
        "open",
        "cfd-surrogate",
        *alice,
        "--title",
        "Not mine",
        "--body",
        "x",
        "--category",
        "data",
    )
    assert r.returncode == 1 and "No project 'cfd-surrogate'" in r.stdout
    r = aifhub(tmp_path, "tickets", "propose", "1", "--as", "support@aifhub.local")
    assert r.returncode == 0 and "Victor Vision" in r.stdout, r.stdout
    r = aifhub(tmp_path, "tickets", "move", "1", "resolved", "--as", "support@aifhub.local")
    assert r.returncode == 1 and "assigned, closed" in r.stdout
    r = aifhub(tmp_path, "courses", "list", *alice)
    assert r.returncode == 0 and "Porting to AMD GPUs with ROCm" in r.stdout
    r = aifhub(tmp_path, "courses", "enrol", "1", *alice)
    assert r.returncode == 0 and "enrolled" in r.stdout
    r = aifhub(tmp_path, "courses", "enrol", "1", *alice)
    assert r.returncode == 1 and "already enrolled" in r.stdout
