"""Cluster identity: a login is proven (staff, a trusted OIDC claim, the site mapping), never a
user's word; reserved and system logins are refused whoever asks; only approved logins reach
the Slurm push, accounting and job submission."""

from __future__ import annotations

import os
import pwd
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from aifhub.app import create_app
from aifhub.backends.slurm.sacctmgr import CurrentAccount, plan
from aifhub.compute import login_proofs, logins
from aifhub.compute.accounting import _direct_targets
from aifhub.compute.models import ClusterLogin
from aifhub.compute.push import desired_limits, push_allocations
from aifhub.core.config import Settings, SiteConfig
from aifhub.identity.models import User
from aifhub.resources.models import Cluster, Partition
from aifhub.resources.site import sync_site

from ..compute.conftest import add_allocation
from ..factories import api_user, join_org, make_org, make_project
from ..identity.test_oidc import Browser, sign_in


def slurm_site(**logins_conf: object) -> SiteConfig:
    # These tests are about the other rules: the Unix-user rule (a login must be a user of
    # this host) has its own tests in test_login_unix_users.py.
    logins_conf.setdefault("require_unix_user", False)
    return SiteConfig.model_validate(
        {
            "compute": {"reserved_logins": ["backup-svc"]},
            "clusters": [
                {
                    "name": "jz",
                    "backend": "slurm",
                    "settings": {"cluster_name": "ci", "parent_account": "root"},
                    "logins": logins_conf,
                    "partitions": [{"name": "cpu", "cores_per_node": 16, "max_time": "2h"}],
                }
            ],
        }
    )


@pytest.fixture
async def jz(client, db, settings):
    """A Slurm cluster `jz`, a project `proj` (pi + member) with hours on it, an admin."""
    await sync_site(db, slurm_site())
    await db.commit()
    heads = {
        "pi": await api_user(db, "pi@lab.eu"),
        "member": await api_user(db, "member@lab.eu"),
        "admin": await api_user(db, "admin@factory.eu", staff=("admin",)),
    }
    await make_org(client, heads["pi"], "lab")
    await make_project(client, heads["pi"], "proj", "lab")
    await join_org(client, heads["pi"], "lab", "member@lab.eu", heads["member"])
    r = await client.post(
        "/api/v1/projects/proj/members",
        json={"email": "member@lab.eu", "role": "member"},
        headers=heads["pi"],
    )
    assert r.status_code == 201, r.text
    part = await db.scalar(select(Partition).where(Partition.key == "jz/cpu"))
    await add_allocation(db, "proj", part, Decimal(100))
    return heads


def _job() -> dict[str, object]:
    return {"project": "proj", "partition": "jz/cpu", "script": "echo hi", "time_limit": "10m"}


async def _pushed_users(db) -> set[str]:
    cluster = await db.scalar(select(Cluster).where(Cluster.name == "jz"))
    return {u for a in await desired_limits(db, cluster) for u in a.users}


async def test_reserved_and_system_logins_are_refused_whoever_asks(client, db, jz):
    # root, a uid < 1000 account of this host, the Slurm service user, the site's own list
    assert pwd.getpwnam("daemon").pw_uid < 1000
    for login in ("root", "daemon", "slurm", "backup-svc"):
        r = await client.put(
            "/api/v1/cluster-logins", json={"cluster": "jz", "login": login}, headers=jz["member"]
        )
        assert r.status_code == 422, (login, r.text)
        assert "reserved or system account" in r.json()["detail"]
        r = await client.put(
            "/api/v1/staff/cluster-logins",
            json={"user_email": "member@lab.eu", "cluster": "jz", "login": login},
            headers=jz["admin"],
        )
        assert r.status_code == 422, (login, r.text)
    r = await client.put(
        "/api/v1/cluster-logins", json={"cluster": "jz", "login": "Bob.Smith"}, headers=jz["pi"]
    )
    assert r.status_code == 422
    assert "lower-case letters, digits, '_' and '-'" in r.json()["detail"]
    assert await db.scalar(select(func.count()).select_from(ClusterLogin)) == 0


def _uid_1000_user() -> str | None:
    for entry in pwd.getpwall():
        if 1000 <= entry.pw_uid < 60000:
            return entry.pw_name
    return None


def _check_as(uid: int | None) -> str:
    """check_login(platform_user()) in a forked process really running as `uid`."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: become that account, then ask the service
        try:
            if uid is not None:
                os.setgid(pwd.getpwuid(uid).pw_gid)
                os.setuid(uid)
            me = logins.platform_user()
            try:
                logins.check_login(Cluster(name="jz", settings={}), me)
                answer = f"accepted {me}"
            except logins.LoginRefused as exc:
                answer = f"refused {me} {exc}"
            os.write(write, answer.encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read) as fh:
        return fh.read()


def test_the_platforms_own_account_is_refused():
    # The platform runs as an ordinary (uid >= 1000) account here, so only the "own service
    # account" rule can refuse its name (not the root or uid < 1000 ones).
    if os.geteuid() == 0:
        name = _uid_1000_user()
        if name is None:
            pytest.skip("no account with uid >= 1000 on this host to run the platform as")
        answer = _check_as(pwd.getpwnam(name).pw_uid)
    else:
        name = pwd.getpwuid(os.geteuid()).pw_name
        answer = _check_as(None)
    assert answer.startswith(f"refused {name} "), answer


async def test_a_colleagues_login_is_409_and_does_not_say_whose(client, db, jz):
    r = await client.put(
        "/api/v1/staff/cluster-logins",
        json={"user_email": "member@lab.eu", "cluster": "jz", "login": "memlogin"},
        headers=jz["admin"],
    )
    assert r.status_code == 200 and r.json()["status"] == "approved", r.text
    r = await client.put(
        "/api/v1/cluster-logins", json={"cluster": "jz", "login": "memlogin"}, headers=jz["pi"]
    )
    assert r.status_code == 409
    assert "member" not in r.json()["detail"] and "already taken" in r.json()["detail"]
    # a pending request of someone else is not free either
    r = await client.put(
        "/api/v1/cluster-logins", json={"cluster": "jz", "login": "pilogin"}, headers=jz["pi"]
    )
    assert r.status_code == 200 and r.json()["status"] == "pending"
    outsider = await api_user(db, "x@else.eu")
    r = await client.put(
        "/api/v1/cluster-logins", json={"cluster": "jz", "login": "pilogin"}, headers=outsider
    )
    assert r.status_code == 409


async def test_a_claim_is_pending_not_pushed_no_submission_until_staff_approve(client, db, jz):
    r = await client.put(
        "/api/v1/cluster-logins", json={"cluster": "jz", "login": "memlogin"}, headers=jz["member"]
    )
    assert r.status_code == 200, r.text
    request = r.json()
    assert request["status"] == "pending" and request["source"] == "request"
    # invisible to the push, to accounting attribution and to submission
    assert await _pushed_users(db) == set()
    lines = await push_allocations(db, dry_run=True, read_cluster=False)
    assert not any("add user" in line for line in lines)
    cluster = await db.scalar(select(Cluster).where(Cluster.name == "jz"))
    assert (await _direct_targets(db, cluster))[2] == {}
    r = await client.post("/api/v1/jobs", json=_job(), headers=jz["member"])
    assert r.status_code == 403
    assert "waiting for the staff's approval" in r.json()["detail"]
    # a user cannot approve their own request
    r = await client.post(
        f"/api/v1/staff/cluster-logins/{request['id']}/approve", headers=jz["member"]
    )
    assert r.status_code == 403
    r = await client.get("/api/v1/staff/cluster-logins?status=pending", headers=jz["admin"])
    assert [x["login"] for x in r.json()] == ["memlogin"]
    r = await client.post(
        f"/api/v1/staff/cluster-logins/{request['id']}/approve", headers=jz["admin"]
    )
    assert r.status_code == 200 and r.json()["status"] == "approved", r.text
    db.expire_all()
    cluster = await db.scalar(select(Cluster).where(Cluster.name == "jz"))
    assert await _pushed_users(db) == {"memlogin"}
    member = await db.scalar(select(User).where(User.email == "member@lab.eu"))
    assert (await _direct_targets(db, cluster))[2] == {"memlogin": member.id}
    r = await client.post("/api/v1/jobs", json=_job(), headers=jz["member"])
    assert r.status_code in (200, 201, 202), r.text
    # revoked: the next push removes it from the project's Slurm account
    r = await client.post(
        f"/api/v1/staff/cluster-logins/{request['id']}/revoke",
        json={"reason": "left the lab"},
        headers=jz["admin"],
    )
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    db.expire_all()
    cluster = await db.scalar(select(Cluster).where(Cluster.name == "jz"))
    desired = await desired_limits(db, cluster)
    current = {"proj": CurrentAccount("root", {"memlogin"}, dict(desired[0].grp_tres_mins), False)}
    commands = plan(desired, current, "ci")
    assert ["delete", "user", "where", "name=memlogin", "account=proj"] in [
        c[:5] for c in commands
    ], commands


async def test_rejection_reason_reaches_the_user(client, db, jz):
    r = await client.put(
        "/api/v1/cluster-logins", json={"cluster": "jz", "login": "someone"}, headers=jz["member"]
    )
    login_id = r.json()["id"]
    r = await client.post(
        f"/api/v1/staff/cluster-logins/{login_id}/reject", json={"reason": ""}, headers=jz["admin"]
    )
    assert r.status_code == 422  # a rejection says why
    r = await client.post(
        f"/api/v1/staff/cluster-logins/{login_id}/reject",
        json={"reason": "not your account at IDRIS"},
        headers=jz["admin"],
    )
    assert r.status_code == 200, r.text
    mine = (await client.get("/api/v1/cluster-logins", headers=jz["member"])).json()
    assert [(m["status"], m["reason"]) for m in mine] == [("rejected", "not your account at IDRIS")]
    r = await client.post("/api/v1/jobs", json=_job(), headers=jz["member"])
    assert r.status_code == 403 and "not your account at IDRIS" in r.json()["detail"]


async def test_a_trusted_oidc_claim_gives_a_proven_login(db, settings):
    await sync_site(db, slurm_site(oidc_provider="kc", oidc_claim="hpc.login"))
    user = await api_user(db, "grace@uni.example")
    grace = await db.scalar(select(User).where(User.email == "grace@uni.example"))
    assert user
    # another provider's claim, or a reserved value, proves nothing
    assert (
        await login_proofs.apply_oidc_claims(
            db, grace, provider="other", claims={"hpc": {"login": "grace"}}
        )
        == []
    )
    assert (
        await login_proofs.apply_oidc_claims(
            db, grace, provider="kc", claims={"hpc": {"login": "root"}}
        )
        == []
    )
    assert await db.scalar(select(func.count()).select_from(ClusterLogin)) == 0
    done = await login_proofs.apply_oidc_claims(
        db, grace, provider="kc", claims={"hpc": {"login": "ghopper"}}
    )
    assert done == ["jz"]
    cluster = await db.scalar(select(Cluster).where(Cluster.name == "jz"))
    assert await logins.approved_login(db, user_id=grace.id, cluster_id=cluster.id) == "ghopper"
    row = await db.scalar(select(ClusterLogin))
    assert row.source == "oidc"
    # the sign-in callback calls it: the app registers the hook
    app = create_app(Settings(secret_key="x"), check_schema=False)
    assert login_proofs.apply_oidc_claims in app.state.federated_sign_in_hooks


async def test_site_mapping_file_sync(db, settings, tmp_path):
    for email in ("ada@lab.eu", "bob@lab.eu", "eve@lab.eu"):
        await api_user(db, email)
    mapping = tmp_path / "jz-logins.csv"
    mapping.write_text("email,login\nAda@lab.eu,ada\nbob@lab.eu,bob\neve@lab.eu,root\n")
    site = slurm_site(mapping_file="jz-logins.csv")
    await sync_site(db, site, base_dir=tmp_path)
    cluster = await db.scalar(select(Cluster).where(Cluster.name == "jz"))
    assert cluster.settings["logins"]["mapping_file"] == str(mapping.resolve())
    assert await login_proofs.sync_mapping_files(db) == {"approved": 2, "revoked": 0, "skipped": 1}
    assert await login_proofs.sync_mapping_files(db) == {"approved": 0, "revoked": 0, "skipped": 1}
    rows = {r.login: r for r in await db.scalars(select(ClusterLogin))}
    assert set(rows) == {"ada", "bob"}
    assert {r.status for r in rows.values()} == {"approved"}
    mapping.write_text("email,login\nada@lab.eu,ada\n")
    assert await login_proofs.sync_mapping_files(db) == {"approved": 0, "revoked": 1, "skipped": 0}
    await db.refresh(rows["bob"])
    assert rows["bob"].status == "revoked"


@pytest.mark.slow
@pytest.mark.browser
def test_request_and_staff_approval_in_the_browser(live_server, browser, unix_user):
    # The demo's cluster is `local`: an approved login must be a Unix user of this host.
    _request_and_approve(live_server, browser, unix_user)


def _request_and_approve(url: str, browser, name: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()

    def sign_in(email: str) -> None:
        context.clear_cookies()
        page.goto(f"{url}/login")
        page.fill("#f-email", email)
        page.fill("#f-password", "demo-password")
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_url(f"{url}/")

    sign_in("alice@neuroscan.example")
    page.goto(f"{url}/cluster-logins")
    page.fill("#f-login", "root")
    page.click("form[action='/cluster-logins'] button[type=submit]")
    assert "reserved or system account" in page.locator("#login-error").inner_text()
    page.fill("#f-login", name)
    page.click("form[action='/cluster-logins'] button[type=submit]")
    page.wait_for_url(f"{url}/cluster-logins")
    assert "waiting for approval" in page.locator("#my-logins").inner_text()

    sign_in("admin@aifhub.example")
    page.goto(f"{url}/staff/cluster-logins")
    row = page.locator("#pending-logins tr", has_text=name)
    assert "alice@neuroscan.example" in row.inner_text()
    row.locator("button", has_text="Approve").click()
    page.wait_for_url(f"{url}/staff/cluster-logins")
    assert page.locator("#all-logins tr", has_text=name).locator(".state").inner_text() == (
        "approved"
    )
    assert name not in page.locator("#pending-logins").inner_text()

    sign_in("alice@neuroscan.example")
    page.goto(f"{url}/cluster-logins")
    assert "approved" in page.locator("#my-logins").inner_text()
    context.close()


@pytest.mark.slow
async def test_a_real_providers_claim_becomes_a_proven_login(aifhub_url, db, settings):
    # The provider vouches for Ada's cluster login in its `hpc_login` claim; the site trusts
    # that claim on `jz`: signing in is all it takes, no request, no staff approval.
    # (The server synced its site at start; the test database was emptied since.)
    await sync_site(db, slurm_site(oidc_provider="testidp", oidc_claim="hpc_login"))
    await db.commit()
    browser = Browser()
    try:
        me = await sign_in(browser, aifhub_url, "ada")
        assert me.status_code == 200, me.text
        listed = await browser.http.get(f"{aifhub_url}/api/v1/cluster-logins")
    finally:
        await browser.close()
    assert listed.status_code == 200, listed.text
    assert [(x["cluster"], x["login"], x["status"], x["source"]) for x in listed.json()] == [
        ("jz", "alovelace", "approved", "oidc")
    ]
    await db.commit()  # a fresh snapshot of what the server wrote
    row = await db.scalar(select(ClusterLogin).where(ClusterLogin.login == "alovelace"))
    assert row is not None and row.status == "approved" and row.source == "oidc"
