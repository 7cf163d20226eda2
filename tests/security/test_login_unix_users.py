"""A cluster login must be a Unix user of the host that submits the cluster's jobs (local and
slurm CLI clusters); slurmrest clusters accept the login and say the platform cannot check it.
The rule is a per-cluster site setting, validated with the site file."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from aifhub.compute import login_proofs, logins
from aifhub.compute.models import ClusterLogin
from aifhub.core.config import SiteConfig
from aifhub.core.errors import AppError, NotFound
from aifhub.identity.models import User
from aifhub.resources.models import Cluster
from aifhub.resources.site import ClusterConfig, sync_site

from ..factories import api_user
from ..unix_users import missing_unix_name

CPU = [{"name": "cpu", "cores_per_node": 4, "max_time": "2h"}]


def site(**logins_of: dict[str, object]) -> SiteConfig:
    """Clusters `loc` (local), `cli` (slurm) and `rest` (slurmrest), each with its logins table."""
    backends = {"loc": "local", "cli": "slurm", "rest": "slurmrest"}
    return SiteConfig.model_validate(
        {
            "clusters": [
                {"name": n, "backend": b, "logins": logins_of.get(n, {}), "partitions": CPU}
                for n, b in backends.items()
            ]
        }
    )


@pytest.fixture
async def people(db):
    """The site synced, an admin and a user (as User rows)."""
    await sync_site(db, site())
    await api_user(db, "admin@factory.eu", staff=("admin",))
    await api_user(db, "ada@lab.eu")
    rows = {u.email: u for u in await db.scalars(select(User))}
    return rows["admin@factory.eu"], rows["ada@lab.eu"]


async def _count(db) -> int:
    return await db.scalar(select(func.count()).select_from(ClusterLogin)) or 0


async def test_a_real_unix_user_is_mapped_a_missing_one_is_refused(db, people, unix_user):
    admin, ada = people
    missing = missing_unix_name()
    for cluster in ("loc", "cli"):
        with pytest.raises(logins.NotAUnixUser) as refused:
            await logins.map_login(
                db, admin, user_email="ada@lab.eu", cluster=cluster, login=missing
            )
        assert str(refused.value) == (
            f"'{missing}' is not a user on the host that submits to cluster '{cluster}': "
            "create the Unix user there first, or check the spelling."
        )
        assert refused.value.field == "login" and refused.value.status == 422
    assert await _count(db) == 0
    # `nobody` exists on the host but is a system account: refused for that reason
    with pytest.raises(logins.LoginRefused, match="reserved or system account"):
        await logins.map_login(db, admin, user_email="ada@lab.eu", cluster="cli", login="nobody")
    row = await logins.map_login(db, admin, user_email="ada@lab.eu", cluster="cli", login=unix_user)
    assert (row.login, row.status, row.source, row.user_id) == (
        unix_user,
        "approved",
        "staff",
        ada.id,
    )
    view = await logins.login_view(db, row.id)
    assert view.note is None  # checked: nothing to warn about


async def test_approving_a_request_checks_the_unix_user(db, people, unix_user):
    admin, ada = people
    missing = missing_unix_name()
    asked = await logins.request_login(db, ada, cluster="loc", login=missing)
    assert asked.status == "pending"  # a request is only a request: checked when decided
    with pytest.raises(logins.NotAUnixUser):
        await logins.decide_request(db, admin, login_id=asked.id, approve=True)
    await db.refresh(asked)
    assert asked.status == "pending"
    asked = await logins.request_login(db, ada, cluster="loc", login=unix_user)
    done = await logins.decide_request(db, admin, login_id=asked.id, approve=True)
    assert (done.login, done.status) == (unix_user, "approved")


async def test_slurmrest_accepts_the_login_and_says_it_cannot_check_it(db, people):
    admin, _ = people
    missing = missing_unix_name()
    row = await logins.map_login(db, admin, user_email="ada@lab.eu", cluster="rest", login=missing)
    assert row.status == "approved"
    view = await logins.login_view(db, row.id)
    assert view.note is not None
    assert "cannot see the Unix users of cluster 'rest'" in view.note
    # the other rules still hold there
    with pytest.raises(logins.LoginRefused, match="reserved or system"):
        await logins.map_login(db, admin, user_email="ada@lab.eu", cluster="rest", login="root")


async def test_the_rule_is_a_site_setting_per_cluster(db, people):
    admin, _ = people
    stored = {
        c.name: c.settings["logins"]["require_unix_user"] for c in await db.scalars(select(Cluster))
    }
    assert stored == {"loc": True, "cli": True, "rest": False}
    # a site that provisions users elsewhere turns it off for its slurm cluster
    await sync_site(db, site(cli={"require_unix_user": False}, rest={"require_unix_user": True}))
    missing = missing_unix_name()
    row = await logins.map_login(db, admin, user_email="ada@lab.eu", cluster="cli", login=missing)
    assert row.status == "approved"
    with pytest.raises(logins.NotAUnixUser):
        await logins.map_login(
            db, admin, user_email="ada@lab.eu", cluster="rest", login=missing_unix_name()
        )
    # validated with the rest of the site file: a word is no boolean, a typo is no key
    for bad in ({"require_unix_user": "no"}, {"require_unix_users": False}):
        with pytest.raises(ValidationError):
            ClusterConfig.model_validate(
                {"name": "x", "backend": "slurm", "logins": bad, "partitions": CPU}
            )


async def test_proofs_from_outside_follow_the_rule(db, people, tmp_path):
    # a mapping file naming a login this host lacks is refused (counted, logged), not applied
    missing = missing_unix_name()
    mapping = tmp_path / "logins.csv"
    mapping.write_text(f"ada@lab.eu,{missing}\n")
    await sync_site(db, site(loc={"mapping_file": str(mapping)}))
    assert await login_proofs.sync_mapping_files(db) == {"approved": 0, "revoked": 0, "skipped": 1}
    assert await _count(db) == 0


async def test_errors_name_the_field_and_say_what_to_do(db, people):
    admin, _ = people
    with pytest.raises(NotFound) as unknown_user:
        await logins.map_login(db, admin, user_email="who@else.eu", cluster="loc", login="ada")
    assert unknown_user.value.field == "user_email"
    assert "No user has the e-mail 'who@else.eu'" in str(unknown_user.value)
    with pytest.raises(AppError) as unknown_cluster:
        await logins.map_login(db, admin, user_email="ada@lab.eu", cluster="nope", login="ada")
    assert unknown_cluster.value.field == "cluster"
    assert str(unknown_cluster.value) == "No cluster 'nope'; the clusters are: cli, loc, rest."


async def test_staff_list_filters_by_cluster_state_user_and_text(db, people):
    admin, ada = people
    await api_user(db, "bob@lab.eu")
    bob = await db.scalar(select(User).where(User.email == "bob@lab.eu"))
    await logins.request_login(db, ada, cluster="rest", login="ada_x")
    await logins.request_login(db, bob, cluster="rest", login="bobby")
    await logins.map_login(db, admin, user_email="bob@lab.eu", cluster="rest", login="bob")

    async def listed(**kw: str) -> list[tuple[str, str]]:
        return [(v.user_email, v.login) for v in await logins.list_logins(db, admin, **kw)]

    assert await listed(status="pending") == [("ada@lab.eu", "ada_x")]
    assert await listed(user_email="BOB@lab.eu") == [("bob@lab.eu", "bob")]
    assert await listed(search="ada") == [("ada@lab.eu", "ada_x")]
    assert await listed(search="bob") == [("bob@lab.eu", "bob")]
    assert await listed(search="x") == [("ada@lab.eu", "ada_x")]
    assert await listed(search="%") == []  # a literal character, not a pattern
    assert await listed(search="_") == [("ada@lab.eu", "ada_x")]
    assert await listed(cluster="loc") == []
    with pytest.raises(AppError, match="No cluster 'nope'"):
        await listed(cluster="nope")
    with pytest.raises(AppError, match="Unknown status 'done'"):
        await listed(status="done")
