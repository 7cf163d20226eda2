"""The AI:AT `ai-factory-sdk`, unchanged, against a real `aifhub serve` with its worker and
the local backend running real jobs: submit, get, list, wait, cancel, and every refusal."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from ai_factory.sdk import (
    AIFactoryClient,
    APIError,
    AsyncAIFactoryClient,
    AuthError,
    ContainerJobRequest,
    JobRequest,
    NotFoundError,
)
from sqlalchemy import select

from aifhub.access.models import Allocation
from aifhub.compute.models import ClusterLogin
from aifhub.core.db import make_engine, make_sessionmaker, utcnow
from aifhub.core.migrate import upgrade
from aifhub.identity import credentials
from aifhub.identity.models import Project, User
from aifhub.resources.models import Cluster, Partition
from aifhub.schemas import identity as id_schemas

from ..factories import make_user
from ..servers import start_server

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
WAIT_S = 120  # an upper bound for a job of a few seconds on a busy machine, not a timing

SITE = """
[[clusters]]
name = "aifc"
site = "test lab"
backend = "local"
[clusters.settings]
state_dir = "{state_dir}"
cpus = 2
gpus = 2
mem_mb = 4096
kill_grace_s = 1

[[clusters.partitions]]
name = "cpu"
cores_per_node = 2
mem_mb_per_node = 4096
max_time = "1h"

[[clusters.partitions]]
name = "gpu"
accelerator = "A40"
gpus_per_node = 2
cores_per_node = 2
mem_mb_per_node = 4096
max_time = "2h"
charge_factor = "2"
"""


@dataclass
class Live:
    url: str  # the site
    db_url: str
    ada: str  # ada's token: one project, allocations on cpu and gpu
    bob: str  # bob's token: two projects
    suffix: str  # of the project slugs (unique per run)

    @property
    def api(self) -> str:
        """The SDK's base URL."""
        return f"{self.url}/compute-api/v1"

    def sdk(self, token: str, user: str, base: str | None = None) -> AIFactoryClient:
        return AIFactoryClient(base_url=base or self.api, token=token, slurm_user=user)

    def platform(self, token: str) -> httpx.Client:
        """The platform's own REST API, as its CLI calls it."""
        return httpx.Client(
            base_url=f"{self.url}/api/v1", headers={"Authorization": f"Bearer {token}"}
        )


async def _tokens(db_url: str, emails: list[str]) -> list[str]:
    engine = make_engine(db_url)
    secrets = []
    async with make_sessionmaker(engine)() as session:
        for email in emails:
            user = await make_user(session, email)
            data = id_schemas.TokenCreate(name="sdk", scopes=["read", "write"])
            secrets.append((await credentials.create_token(session, user, data=data))[1])
        await session.commit()
    await engine.dispose()
    return secrets


async def _grant(db_url: str, project: str, partition: str) -> None:
    """An active allocation of 100 hours for the project on the partition."""
    engine = make_engine(db_url)
    async with make_sessionmaker(engine)() as session:
        proj = await session.scalar(select(Project).where(Project.slug == project))
        part = await session.scalar(select(Partition).where(Partition.key == partition))
        assert proj is not None and part is not None
        now = utcnow()
        session.add(
            Allocation(
                project_id=proj.id,
                partition_id=part.id,
                amount=Decimal(100),
                starts_at=now - timedelta(days=1),
                ends_at=now + timedelta(days=30),
                state="active",
            )
        )
        await session.commit()
    await engine.dispose()


async def _map_login(db_url: str, email: str, login: str, status: str) -> None:
    """A cluster login of the user on aifc, as staff would have mapped (or left) it."""
    engine = make_engine(db_url)
    async with make_sessionmaker(engine)() as session:
        user = await session.scalar(select(User).where(User.email == email))
        cluster = await session.scalar(select(Cluster).where(Cluster.name == "aifc"))
        assert user is not None and cluster is not None
        session.add(
            ClusterLogin(
                user_id=user.id, cluster_id=cluster.id, login=login, status=status, source="staff"
            )
        )
        await session.commit()
    await engine.dispose()


def _open_project(api: httpx.Client, org: str, slugs: list[str]) -> None:
    body = {"slug": org, "name": org.title(), "kind": "startup", "country": "FR",
            "sectors": ["health"]}  # fmt: skip
    r = api.post("/organisations", json=body)
    assert r.status_code == 201, r.text
    for slug in slugs:
        body = {"slug": slug, "name": slug.title(), "organisation": org, "sector": "health"}
        r = api.post("/projects", json=body)
        assert r.status_code == 201, r.text


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, bwrap_installed: str) -> Iterator[Live]:
    """`aifhub serve` with its in-process worker on a migrated SQLite file and a local cluster."""
    base = tmp_path_factory.mktemp("aif")
    db_url = f"sqlite+aiosqlite:///{base / 'aifhub.db'}"
    upgrade(db_url)
    site = base / "site.toml"
    site.write_text(SITE.replace("{state_dir}", str(base / "backend")))
    env = {
        **os.environ,
        "AIFHUB_DATABASE_URL": db_url,
        "AIFHUB_VAR_DIR": str(base / "var"),
        "AIFHUB_SITE_FILE": str(site),
        "AIFHUB_SECRET_KEY": "aif-secret",
        "PYTHONPATH": str(REPO / "src"),
    }
    server = start_server(env, base / "server.log", args=(), cwd=base)
    try:
        ada, bob = asyncio.run(_tokens(db_url, ["ada@aif.example", "bob@aif.example"]))
        s = uuid.uuid4().hex[:6]
        live = Live(server.url, db_url, ada, bob, s)
        with live.platform(ada) as api:
            _open_project(api, f"ada-{s}", [f"ada-{s}"])
        with live.platform(bob) as api:
            _open_project(api, f"bob-{s}", [f"bob-one-{s}", f"bob-two-{s}"])
        asyncio.run(_grant(db_url, f"ada-{s}", "aifc/cpu"))
        asyncio.run(_grant(db_url, f"ada-{s}", "aifc/gpu"))
        asyncio.run(_grant(db_url, f"bob-one-{s}", "aifc/cpu"))
        asyncio.run(_map_login(db_url, "ada@aif.example", f"ada{s}", "approved"))
        asyncio.run(_map_login(db_url, "bob@aif.example", f"bob{s}", "pending"))
        yield live
    finally:
        server.stop()


def _platform_job(live: Live, token: str, job_id: int) -> dict:
    with live.platform(token) as api:
        r = api.get(f"/jobs/{job_id}")
        assert r.status_code == 200, r.text
        return r.json()


def test_submit_get_wait_and_the_output(live: Live) -> None:
    with live.sdk(live.ada, "ada@aif.example") as sdk:
        script = "#!/bin/bash\necho hello-from-the-sdk\n"
        sent = sdk.submit_job(
            JobRequest(name="hello", script=script, partition="cpu", tasks=1, cpus_per_task=1)
        )
        assert isinstance(sent.job_id, int)
        assert sent.logs_url is not None and sent.logs_url.endswith(f"/jobs/{sent.job_id}")
        first = sdk.get_job(str(sent.job_id))
        assert first.job_id == str(sent.job_id) and first.name == "hello"
        assert first.status in ("queued", "running", "completed")
        assert first.partition == "cpu" and first.submit_time is not None
        done = sdk.wait(str(sent.job_id), interval=0.5, timeout=WAIT_S)
    assert done.status == "completed" and done.exit_code == 0
    assert done.start_time is not None and done.end_time is not None
    assert done.submit_time is not None and done.submit_time <= done.start_time <= done.end_time
    assert done.duration is not None and done.duration >= 0
    # The platform's own view of the same job: the project that pays, the default time limit.
    job = _platform_job(live, live.ada, sent.job_id)
    assert job["project"] == f"ada-{live.suffix}" and job["partition"] == "aifc/cpu"
    assert job["time_limit_s"] == 3600 and job["state"] == "completed"
    with live.platform(live.ada) as api:
        log = api.get(f"/jobs/{sent.job_id}/log").json()
    assert "hello-from-the-sdk" in log["text"]


def test_time_limit_is_in_minutes_and_gres_counts_gpus(live: Live) -> None:
    with live.sdk(live.ada, "ada@aif.example") as sdk:
        sent = sdk.submit_job(
            JobRequest(
                name="two-min", script="true", partition="gpu", time_limit=2, gres="gpu:a40:1"
            )  # fmt: skip
        )
        detail = sdk.get_job(str(sent.job_id))
        assert detail.gres == "gpu:1" and detail.partition == "gpu"
        sdk.wait(str(sent.job_id), interval=0.5, timeout=WAIT_S)
        job = _platform_job(live, live.ada, sent.job_id)
        assert sent.job_id is not None
        # 2 minutes are 120 s (never 2 s), reserved as 120 s x 1 GPU x factor 2.
        assert job["time_limit_s"] == 120 and job["gpus"] == 1
        assert Decimal(job["reserved_hours"]) == Decimal("0.0667")  # 240/3600, 4 places
        with pytest.raises(APIError) as wrong_type:
            sdk.submit_job(
                JobRequest(name="h100", script="true", partition="gpu", gres="gpu:h100:1")
            )
        assert wrong_type.value.status_code == 422
        assert "'A40' GPUs" in (wrong_type.value.detail or "")
        with pytest.raises(APIError) as too_long:
            sdk.submit_job(JobRequest(name="long", script="true", partition="cpu", time_limit=61))
        assert too_long.value.status_code == 422
        assert "3660 s asked" in (too_long.value.detail or "")


def test_list_with_its_filters_and_pages(live: Live) -> None:
    with live.sdk(live.ada, "ada@aif.example") as sdk:
        ids = [
            sdk.submit_job(JobRequest(name=f"list{i}", script="true", partition="cpu")).job_id
            for i in range(2)
        ]
        last = sdk.wait(str(ids[-1]), interval=0.5, timeout=WAIT_S)
        sdk.wait(str(ids[0]), interval=0.5, timeout=WAIT_S)
        everything = sdk.list_jobs(limit=500)
        assert {str(i) for i in ids} <= {j.job_id for j in everything.jobs}
        assert everything.total == len(everything.jobs) and everything.limit == 500
        four = {"queued", "running", "completed", "errored"}
        assert all(j.status in four for j in everything.jobs)
        page = sdk.list_jobs(limit=1, offset=1)
        assert len(page.jobs) == 1 and page.total == everything.total and page.offset == 1
        assert page.jobs[0].job_id == everything.jobs[1].job_id  # newest first
        assert last.end_time is not None and last.submit_time is not None
        # sacct's window: a job that ended before start_time, or was submitted after
        # end_time, is not in it.
        after = sdk.list_jobs(start_time=last.end_time + 1, limit=500)
        assert str(ids[-1]) not in {j.job_id for j in after.jobs}
        before = sdk.list_jobs(end_time=last.submit_time - 1, limit=500)
        assert str(ids[-1]) not in {j.job_id for j in before.jobs}
        # (Unix times are whole seconds: the job's submission lies before its end_time + 1.)
        window = {"start_time": last.submit_time, "end_time": last.end_time + 1}
        around = sdk.list_jobs(**window, limit=500)
        assert str(ids[-1]) in {j.job_id for j in around.jobs}
        assert sdk.list_jobs(update_time=last.end_time + 1).total <= everything.total
        changed = sdk.list_jobs(update_time=last.submit_time, limit=500)
        assert str(ids[-1]) in {j.job_id for j in changed.jobs}
        with pytest.raises(APIError) as flags:
            sdk.list_jobs(flags="SHOW_ALL")
        assert flags.value.status_code == 422 and "flags" in (flags.value.detail or "")


def test_cancel_a_running_job(live: Live) -> None:
    with live.sdk(live.ada, "ada@aif.example") as sdk:
        sent = sdk.submit_job(JobRequest(name="sleeper", script="sleep 600", partition="cpu"))
        job_id = str(sent.job_id)
        answer = sdk.cancel_job(job_id)
        assert answer.message is not None and job_id in answer.message
        done = sdk.wait(job_id, interval=0.5, timeout=WAIT_S)
        assert done.status == "errored"  # the SDK's four states: cancelled is errored
        assert _platform_job(live, live.ada, int(job_id))["state"] == "cancelled"
        with pytest.raises(APIError) as again:
            sdk.cancel_job(job_id)
        assert again.value.status_code == 409
        with pytest.raises(NotFoundError):
            sdk.get_job("999999")
    # Bob cannot see, nor cancel, Ada's job.
    with live.sdk(live.bob, "bob@aif.example") as sdk, pytest.raises(NotFoundError):
        sdk.cancel_job(job_id)


def test_the_two_headers_must_agree(live: Live) -> None:
    # Ada's approved cluster login names her as well as her e-mail address does.
    with live.sdk(live.ada, f"ada{live.suffix}") as sdk:
        assert sdk.list_jobs().total >= 0
    for token, name, says in [
        (live.ada, "bob@aif.example", "X-SLURM-USER-NAME does not name"),
        (live.bob, f"bob{live.suffix}", "X-SLURM-USER-NAME does not name"),  # only pending
        ("aifh_not-a-token", "ada@aif.example", "Unknown API token"),
    ]:
        with live.sdk(token, name) as sdk:
            with pytest.raises(AuthError) as listed:
                sdk.list_jobs()
            assert listed.value.status_code == 401 and says in (listed.value.detail or "")
            # A submission is refused before its body is read when the token is not valid.
            with pytest.raises(AuthError) as sent:
                sdk.submit_job(JobRequest(name="x", script="true", partition="cpu"))
            assert sent.value.status_code == 401
    with httpx.Client() as plain:
        r = plain.get(f"{live.api}/jobs", headers={"X-SLURM-USER-NAME": "ada@aif.example"})
    assert r.status_code == 401 and "X-SLURM-USER-TOKEN" in r.json()["detail"]


def test_which_project_pays(live: Live) -> None:
    s = live.suffix
    with live.sdk(live.bob, "bob@aif.example") as sdk:
        with pytest.raises(APIError) as ambiguous:
            sdk.submit_job(JobRequest(name="x", script="true", partition="cpu"))
        detail = ambiguous.value.detail or ""
        assert ambiguous.value.status_code == 422
        assert f"bob-one-{s}, bob-two-{s}" in detail and "/compute-api/v1/projects/" in detail
        before = sdk.list_jobs().total
    # A base URL that names the project; no partition: the project's only allocated one.
    scoped = f"{live.api}/projects/bob-one-{s}"
    with live.sdk(live.bob, "bob@aif.example", base=scoped) as sdk:
        sent = sdk.submit_job(JobRequest(name="paid", script="true"))
        assert sdk.list_jobs().total == 1
        sdk.wait(str(sent.job_id), interval=0.5, timeout=WAIT_S)
    job = _platform_job(live, live.bob, sent.job_id or 0)
    assert job["project"] == f"bob-one-{s}" and job["partition"] == "aifc/cpu"
    # The project with no allocation says so; the header chooses as the base URL does.
    with httpx.Client() as plain:
        r = plain.post(
            f"{live.api}/jobs",
            json={"name": "x", "script": "true"},
            headers={
                "X-SLURM-USER-NAME": "bob@aif.example",
                "X-SLURM-USER-TOKEN": live.bob,
                "X-AIFHUB-PROJECT": f"bob-two-{s}",
            },  # fmt: skip
        )
    assert r.status_code == 422 and "no active allocation" in r.json()["detail"]
    with live.sdk(live.bob, "bob@aif.example") as sdk:
        assert sdk.list_jobs().total == before + 1
    # Ada has allocations on two partitions: without one named she is told which.
    with live.sdk(live.ada, "ada@aif.example") as sdk:
        with pytest.raises(APIError) as which:
            sdk.submit_job(JobRequest(name="x", script="true"))
        assert "aifc/cpu, aifc/gpu" in (which.value.detail or "")
        with pytest.raises(APIError) as paths:
            sdk.submit_job(
                JobRequest(name="x", script="true", partition="cpu", standard_output="%j.out")
            )
        assert paths.value.status_code == 422 and "standard_output" in (paths.value.detail or "")


def test_container_jobs_are_refused_for_now(live: Live) -> None:
    with live.sdk(live.ada, "ada@aif.example") as sdk:
        before = sdk.list_jobs().total
        with pytest.raises(APIError) as refused:
            sdk.submit_container(
                ContainerJobRequest(name="c", image="docker://alpine:3", partition="cpu")
            )
        assert refused.value.status_code == 422
        assert (
            "container jobs are not available on this platform yet"
            in (refused.value.detail or "").lower()
        )
        assert sdk.list_jobs().total == before  # nothing was recorded
    with httpx.Client() as plain:
        r = plain.post(
            f"{live.api}/jobs/container",
            json={"name": "c", "image": "docker://alpine:3"},
            headers={"X-SLURM-USER-NAME": "ada@aif.example", "X-SLURM-USER-TOKEN": live.ada},
        )
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"].endswith("/container-jobs-unavailable")


async def test_the_async_client_too(live: Live) -> None:
    async with AsyncAIFactoryClient(
        base_url=live.api, token=live.ada, slurm_user="ada@aif.example"
    ) as sdk:
        sent = await sdk.submit_job(
            JobRequest(name="async", script="echo async", partition="cpu", time_limit=1)
        )
        done = await sdk.wait(str(sent.job_id), interval=0.5, timeout=WAIT_S)
        assert done.status == "completed" and done.name == "async"
        listed = await sdk.list_jobs(limit=1)
        assert listed.jobs[0].job_id == str(sent.job_id)  # newest first
