"""Bulk seeding for benchmarks: thousands of organisations, projects and users in seconds.

Rows go in through SQLAlchemy core `insert()` with executemany (no ORM, no per-row argon2):
only the named bench users get a real password hash, computed once. Other benches reuse it:

    from seed import SeedSpec, seed_identity
    result = asyncio.run(seed_identity(url, SeedSpec(orgs=1000, projects=5000, users=20000)))
    headers = {"Authorization": f"Bearer {result.member_token}"}
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from aifhub.core.db import make_engine, utcnow
from aifhub.core.security import hash_password, new_token, token_digest
from aifhub.identity.models import (
    ApiToken,
    Organisation,
    OrgMembership,
    Project,
    ProjectMember,
    StaffRoleGrant,
    User,
)
from aifhub.schemas.enums.identity import OrgKind, Sector

BENCH_PASSWORD = "bench-password-123"
COUNTRIES = ["FR", "DE", "IT", "ES", "NL", "BE", "PL", "FI", "SE", "AT", "PT", "CZ"]
CHUNK = 5_000


@dataclass
class SeedSpec:
    """How much to create, and how much of it the bench member belongs to."""

    orgs: int = 1_000
    projects: int = 5_000
    users: int = 20_000
    members_per_project: int = 4
    member_orgs: int = 10
    member_projects: int = 50
    seed: int = 42


@dataclass
class SeedResult:
    """Who to sign in as: a member of a realistic subset, and a staff user who sees all."""

    member_email: str
    member_token: str
    staff_email: str
    staff_token: str
    password: str
    seconds: float
    counts: dict[str, int]


async def _insert(conn: AsyncConnection, table: object, rows: list[dict[str, object]]) -> None:
    for i in range(0, len(rows), CHUNK):
        await conn.execute(insert(table), rows[i : i + CHUNK])  # type: ignore[arg-type]


async def _token(conn: AsyncConnection, user_id: int, name: str) -> str:
    secret = new_token("aifh_")
    await _insert(
        conn,
        ApiToken.__table__,
        [
            {
                "user_id": user_id,
                "name": name,
                "prefix": secret[:11],
                "digest": token_digest(secret),
                "scopes": ["read", "write"],
                "created_at": utcnow(),
                "expires_at": utcnow() + timedelta(days=30),
            }
        ],
    )
    return secret


async def seed_identity(url: str, spec: SeedSpec | None = None) -> SeedResult:
    """Fill an empty, migrated database; returns the bench users and their API tokens."""
    spec = spec or SeedSpec()
    rng = random.Random(spec.seed)
    started = time.perf_counter()
    now = utcnow()
    pw_hash = hash_password(BENCH_PASSWORD)
    engine = make_engine(url)
    async with engine.begin() as conn:
        if await conn.scalar(select(func.count()).select_from(User)):
            raise RuntimeError(f"{url} already has users; seed an empty database.")
        # Ids are assigned here so that memberships can be built without reading back.
        users = [
            {
                "id": i + 1,
                "email": f"user{i}@bench.example.eu",
                "name": f"User {i}",
                "password_hash": None,
                "is_active": True,
                "locale": "en",
                "created_at": now,
            }
            for i in range(spec.users)
        ]
        member_id, staff_id = spec.users + 1, spec.users + 2
        for uid, email in (
            (member_id, "member@bench.example.eu"),
            (staff_id, "staff@bench.example.eu"),
        ):
            users.append(
                {
                    "id": uid,
                    "email": email,
                    "name": email.split("@")[0].title(),
                    "password_hash": pw_hash,
                    "is_active": True,
                    "locale": "en",
                    "created_at": now,
                }
            )
        await _insert(conn, User.__table__, users)
        await _insert(conn, StaffRoleGrant.__table__, [{"user_id": staff_id, "role": "support"}])

        kinds, sectors = list(OrgKind), list(Sector)
        orgs = [
            {
                "id": i + 1,
                "slug": f"org-{i:05d}",
                "name": f"Organisation {i:05d}",
                "kind": rng.choice(kinds).value,
                "country": rng.choice(COUNTRIES),
                "sectors": [s.value for s in rng.sample(sectors, 2)],
                "website": None,
                "created_at": now,
            }
            for i in range(spec.orgs)
        ]
        await _insert(conn, Organisation.__table__, orgs)
        # Every user belongs to one organisation (round robin); the first is its owner.
        org_members: dict[int, list[int]] = {o["id"]: [] for o in orgs}  # type: ignore[misc]
        memberships = []
        for i in range(spec.users):
            org_id = i % spec.orgs + 1
            role = "owner" if not org_members[org_id] else "member"
            org_members[org_id].append(i + 1)
            memberships.append(
                {"org_id": org_id, "user_id": i + 1, "role": role, "created_at": now}
            )
        member_org_ids = list(range(1, spec.member_orgs + 1))
        for org_id in member_org_ids:
            memberships.append(
                {"org_id": org_id, "user_id": member_id, "role": "member", "created_at": now}
            )
        await _insert(conn, OrgMembership.__table__, memberships)

        projects, project_members = [], []
        for i in range(spec.projects):
            org_id = i % spec.orgs + 1
            projects.append(
                {
                    "id": i + 1,
                    "slug": f"proj-{i:06d}",
                    "name": f"Project {i:06d}",
                    "description": "",
                    "org_id": org_id,
                    "sector": rng.choice(sectors).value,
                    "status": "active",
                    "created_at": now,
                }
            )
            pool = org_members[org_id]
            chosen = rng.sample(pool, min(spec.members_per_project, len(pool)))
            for j, uid in enumerate(chosen):
                role = "pi" if j == 0 else "member"
                project_members.append(
                    {"project_id": i + 1, "user_id": uid, "role": role, "created_at": now}
                )
        # The bench member is in member_projects projects of their organisations.
        in_their_orgs = [p["id"] for p in projects if p["org_id"] in member_org_ids]
        for pid in in_their_orgs[: spec.member_projects]:
            project_members.append(
                {"project_id": pid, "user_id": member_id, "role": "member", "created_at": now}
            )
        await _insert(conn, Project.__table__, projects)
        await _insert(conn, ProjectMember.__table__, project_members)
        member_token = await _token(conn, member_id, "bench")
        staff_token = await _token(conn, staff_id, "bench")
        if conn.dialect.name == "postgresql":
            # Explicit ids leave the sequences behind; later inserts must not collide.
            for table in ("users", "organisations", "projects"):
                await conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            await conn.exec_driver_sql("ANALYZE")
        else:
            await conn.exec_driver_sql("ANALYZE")
    await engine.dispose()
    counts = {
        "users": len(users),
        "organisations": len(orgs),
        "org_memberships": len(memberships),
        "projects": len(projects),
        "project_members": len(project_members),
    }
    return SeedResult(
        member_email="member@bench.example.eu",
        member_token=member_token,
        staff_email="staff@bench.example.eu",
        staff_token=staff_token,
        password=BENCH_PASSWORD,
        seconds=time.perf_counter() - started,
        counts=counts,
    )


# ---------------------------------------------------------------- databases and servers

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def sqlite_database() -> Iterator[str]:
    """An empty SQLite file in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="aifhub-bench-") as tmp:
        yield f"sqlite+aiosqlite:///{tmp}/bench.db"


def _private_postgres() -> object:
    spec = importlib.util.spec_from_file_location("aifhub_tests_pg", REPO / "tests" / "pg.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.PrivatePostgres()


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh database on AIFHUB_BENCH_POSTGRES_URL, or on a private server (tests/pg.py)."""
    server_url = os.environ.get("AIFHUB_BENCH_POSTGRES_URL")
    private = None
    if server_url:
        if server_url.startswith("postgresql://"):
            server_url = "postgresql+asyncpg://" + server_url.split("://", 1)[1]
    else:
        private = _private_postgres()
        server_url = private.start()  # type: ignore[attr-defined]
    name = f"aifhub_bench_{uuid.uuid4().hex[:8]}"
    _admin(server_url, f'CREATE DATABASE "{name}"')
    try:
        yield server_url.rsplit("/", 1)[0] + "/" + name
    finally:
        _admin(server_url, f'DROP DATABASE "{name}" WITH (FORCE)')
        if private is not None:
            private.stop()  # type: ignore[attr-defined]


def _admin(url: str, sql: str) -> None:
    async def run() -> None:
        engine = make_engine(url)
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(sql))
        await engine.dispose()

    asyncio.run(run())


@contextmanager
def server(
    url: str, *, var_dir: str | None = None, log: Path | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes], float]]:
    """`aifhub serve --no-worker` on a free port; yields (base URL, process, seconds to ready)."""
    port = free_port()
    env = {
        **os.environ,
        "AIFHUB_DATABASE_URL": url,
        "AIFHUB_VAR_DIR": var_dir or tempfile.mkdtemp(prefix="aifhub-bench-var-"),
        "AIFHUB_SECRET_KEY": "bench-secret",
        "PYTHONPATH": str(REPO / "src"),
    }
    out = log.open("wb") if log else subprocess.DEVNULL
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "aifhub", "serve", "--port", str(port), "--no-worker"],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.perf_counter() - started > 120:
                raise RuntimeError("the server did not start (see its log)")
            time.sleep(0.01)
        yield base, proc, time.perf_counter() - started
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
