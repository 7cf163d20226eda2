"""Tickets, courses, partners and recommendations from the CLI against `aifhub serve --demo`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from aifhub.client.output import ExitCode
from aifhub.demo import DEMO_PASSWORD

from ..servers import start_server
from .test_cli_e2e import REPO, cli

pytestmark = pytest.mark.slow
DESK = "desk@factory.example"


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real uvicorn process on a temporary SQLite file with the demo data and a desk admin
    created with `aifhub create-admin`."""
    base = tmp_path_factory.mktemp("eco-e2e")
    env = {
        **os.environ,
        "AIFHUB_DATABASE_URL": f"sqlite+aiosqlite:///{base / 'aifhub.db'}",
        "AIFHUB_VAR_DIR": str(base / "var"),
        "AIFHUB_SECRET_KEY": "e2e-secret",
        "PYTHONPATH": str(REPO / "src"),
    }
    for args in (["demo"], ["create-admin", DESK, "--name", "Desk", "--password", DEMO_PASSWORD]):
        done = subprocess.run(
            [sys.executable, "-m", "aifhub", *args], env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr + done.stdout
    server = start_server(env, base / "server.log", timeout_s=120)
    yield server.url
    server.stop()


def signed_in(tmp_path: Path, server: str, email: str, *, admin: bool = False) -> Path:
    """A config folder in which `aifhub login` (password on stdin) signed this user in."""
    home = tmp_path / (email.split("@")[0] + ("-admin" if admin else ""))
    flags = ["--admin"] if admin else []
    r = cli(home, "login", "--url", server, *flags, input=f"{email}\n{DEMO_PASSWORD}\n")
    assert r.returncode == 0, r.stderr + r.stdout
    return home


def ok(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 0, r.stderr + r.stdout
    assert "Traceback" not in r.stderr
    return r.stdout


def test_tickets_from_the_cli(demo_server: str, tmp_path: Path) -> None:
    alice = signed_in(tmp_path, demo_server, "alice@neuroscan.example")
    desk = signed_in(tmp_path, demo_server, DESK, admin=True)
    out = ok(
        cli(
            alice,
            "tickets",
            "open",
            "brain-mri-seg",
            "--title",
            "MRI loader is slow",
            "--body",
            "Our dataloader reads NIfTI files at 20 MB/s",
            "--category",
            "data",
            "--json",
        )
    )
    ticket = json.loads(out)
    assert ticket["project"] == "brain-mri-seg" and ticket["state"] == "new"
    tid = str(ticket["id"])

    out = ok(cli(alice, "tickets", "list"))
    assert "MRI loader is slow" in out and "brain-mri-seg" in out and "Tickets (1)" in out
    note = tmp_path / "profile.txt"
    note.write_text("read 20 MB/s from /lustre/scratch\n")
    out = ok(cli(alice, "tickets", "reply", tid, "Profile attached", "--attach", str(note)))
    assert f"message added to #{tid} with 1 file(s)" in out
    out = ok(cli(alice, "tickets", "show", tid))
    assert "Profile attached" in out and "profile.txt" in out and "Our dataloader" in out

    # The desk sees it, gets proposals and assigns by e-mail; a refused move names the moves.
    # Without --admin the desk's token carries no staff roles: refused, with the reason.
    plain_desk = signed_in(tmp_path, demo_server, DESK)
    r = cli(plain_desk, "tickets", "propose", tid, "--json")
    # Under --json the refusal is JSON on standard output: the server's problem and the code.
    refusal = json.loads(r.stdout)
    assert r.returncode == ExitCode.FORBIDDEN == refusal["exit_code"]
    assert "Only the support desk" in refusal["error"]["detail"] and not r.stderr
    out = ok(cli(desk, "tickets", "propose", tid, "--json"))
    proposals = json.loads(out)
    assert proposals and all(p["reasons"] for p in proposals)
    r = cli(desk, "tickets", "move", tid, "resolved")
    assert r.returncode == ExitCode.CONFLICT and "409" in r.stderr and "assigned" in r.stderr
    r = cli(desk, "tickets", "assign", tid, "nobody@example.eu")
    assert r.returncode == ExitCode.FAILED and "not in the experts' directory" in r.stderr

    # Alice cannot open a ticket on AeroSim's project: a clear message, exit 1.
    r = cli(
        alice,
        "tickets",
        "open",
        "cfd-surrogate",
        "--title",
        "Not mine",
        "--body",
        "Someone else's project",
        "--category",
        "data",
    )
    assert r.returncode == ExitCode.NOT_FOUND
    assert "No project 'cfd-surrogate'" in r.stderr and "Traceback" not in r.stderr
    r = cli(alice, "tickets", "open", "brain-mri-seg", "--title", "x", "--body", "y")
    assert r.returncode == ExitCode.INVALID and "422" in r.stderr

    out = ok(cli(alice, "kb", "search", "apptainer containers", "--json"))
    assert json.loads(out)[0]["slug"] == "containers-apptainer"


def test_courses_partners_and_recommend_from_the_cli(demo_server: str, tmp_path: Path) -> None:
    alice = signed_in(tmp_path, demo_server, "alice@neuroscan.example")
    nadia = signed_in(tmp_path, demo_server, "nadia@neuroscan.example")
    bruno = signed_in(tmp_path, demo_server, "bruno@aerosim.example")

    out = ok(cli(alice, "courses", "list"))
    assert "Porting to AMD GPUs with ROCm" in out and "waiting" in out
    courses = json.loads(ok(cli(alice, "courses", "list", "--json")))
    rocm = next(c for c in courses if c["slug"] == "rocm-porting")
    session = str(rocm["sessions"][0]["id"])
    assert rocm["sessions"][0]["seats"] == 2

    # Two seats: Alice and Nadia get them, Bruno waits; Alice cancels and Bruno moves up.
    assert "enrolled" in ok(cli(alice, "courses", "enrol", session))
    r = cli(alice, "courses", "enrol", session)
    assert r.returncode == ExitCode.CONFLICT and "already enrolled" in r.stderr
    ok(cli(nadia, "courses", "enrol", session))
    out = ok(cli(bruno, "courses", "enrol", session))
    assert "waitlisted" in out and "position 1 on the waiting list" in out
    mine = json.loads(ok(cli(alice, "courses", "mine", "--json")))
    assert [(e["session_id"], e["state"]) for e in mine] == [(int(session), "enrolled")]
    ok(cli(alice, "courses", "cancel", str(mine[0]["id"])))
    bruno_mine = json.loads(ok(cli(bruno, "courses", "mine", "--json")))
    assert bruno_mine[0]["state"] == "enrolled"
    detail = json.loads(ok(cli(alice, "courses", "show", "rocm-porting", "--json")))
    first = next(s for s in detail["sessions"] if s["id"] == int(session))
    assert (first["enrolled"], first["waitlisted"]) == (2, 0)

    # Introductions: a startup asks an incubator; a large company is told why not.
    out = ok(cli(alice, "partners", "list", "--kind", "incubator"))
    assert "medtech-lab" in out
    out = ok(
        cli(
            alice,
            "partners",
            "introduce",
            "medtech-lab",
            "--org",
            "neuroscan",
            "--pitch",
            "MRI segmentation for hospitals, CE marking underway.",
        )
    )
    assert "requested" in out
    out = ok(cli(alice, "partners", "introductions"))
    assert "NeuroScan Health" in out and "requested" in out
    r = cli(
        bruno,
        "partners",
        "introduce",
        "medtech-lab",
        "--org",
        "aerosim",
        "--pitch",
        "Surrogate models of turbulent flows for wings.",
    )
    assert r.returncode == ExitCode.INVALID and "only takes startups" in r.stderr
    out = ok(cli(alice, "offers", "list", "--json"))
    assert any(o["title"] == "Medical imaging ML intern" for o in json.loads(out))

    out = ok(cli(alice, "recommend", "brain-mri-seg"))
    assert "Deep learning for medical imaging" in out and "same sector: health" in out
    rec = json.loads(ok(cli(alice, "recommend", "brain-mri-seg", "--json")))
    assert rec["project"] == "brain-mri-seg" and rec["groups"]
    r = cli(alice, "recommend", "cfd-surrogate")
    assert r.returncode == ExitCode.NOT_FOUND and "No project 'cfd-surrogate'" in r.stderr
    out = ok(cli(alice, "search", "rocm", "--json"))
    assert any(i["id"] == "rocm-porting" for g in json.loads(out)["groups"].values() for i in g)


def test_signed_out_is_told_to_log_in(demo_server: str, tmp_path: Path) -> None:
    r = cli(tmp_path, "tickets", "list", env={"AIFHUB_URL": demo_server})
    assert r.returncode == ExitCode.NOT_SIGNED_IN and "aifhub login" in r.stderr
