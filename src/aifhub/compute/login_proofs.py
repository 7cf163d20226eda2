"""Proven logins from outside: a trusted identity-provider claim at sign-in, and the site's
mapping file. Both go through the same checks as a staff mapping (logins.prove_login)."""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub import resources
from aifhub.compute.logins import cluster_login_rules, prove_login
from aifhub.compute.models import ClusterLogin
from aifhub.core import audit
from aifhub.core.db import utcnow
from aifhub.core.errors import Conflict, InvalidInput
from aifhub.identity import claim_value
from aifhub.identity.models import User
from aifhub.schemas.enums.compute import LoginSource, LoginStatus

log = logging.getLogger("aifhub.compute.logins")


async def apply_oidc_claims(
    session: AsyncSession, user: User, *, provider: str, claims: dict[str, Any]
) -> list[str]:
    """At a federated sign-in: the trusted login claim becomes the user's proven login.

    Only clusters whose `logins.oidc_provider` names this provider are touched. A claim that
    is missing, malformed, reserved or held by someone else changes nothing (and is logged):
    it never blocks the sign-in.
    """
    done: list[str] = []
    for cluster in await resources.enabled_clusters(session):
        rules = cluster_login_rules(cluster)
        if rules.get("oidc_provider") != provider or not rules.get("oidc_claim"):
            continue
        value = claim_value(claims, str(rules["oidc_claim"]))
        if not isinstance(value, str) or not value:
            continue
        try:
            async with session.begin_nested():
                _, changed = await prove_login(
                    session, user.id, cluster, value, source=LoginSource.OIDC, decided_by=None
                )
        except (InvalidInput, Conflict) as exc:
            log.warning("login claim of %s on %s not applied: %s", user.email, cluster.name, exc)
            continue
        if changed:
            done.append(cluster.name)
    return done


def read_mapping_file(path: Path) -> dict[str, str]:
    """e-mail (lower-cased) -> login from a CSV file `email,login` (a header row is allowed)."""
    out: dict[str, str] = {}
    with path.open(newline="") as fh:
        for number, fields in enumerate(csv.reader(fh), start=1):
            cells = [f.strip() for f in fields]
            if not cells or not cells[0] or cells[0].startswith("#"):
                continue
            if len(cells) != 2:
                raise InvalidInput(f"{path}:{number}: write one 'email,login' pair per line.")
            email, login = cells
            if email.lower() == "email" and login.lower() == "login":
                continue
            out[email.lower()] = login
    return out


async def sync_mapping_files(session: AsyncSession) -> dict[str, int]:
    """Apply every cluster's site mapping file (idempotent); logins it dropped are revoked."""
    counts = {"approved": 0, "revoked": 0, "skipped": 0}
    for cluster in await resources.enabled_clusters(session):
        path = cluster_login_rules(cluster).get("mapping_file")
        if not path:
            continue
        mapping = read_mapping_file(Path(str(path)))
        users = {
            u.email.lower(): u
            for u in await session.scalars(select(User).where(User.email.in_(list(mapping))))
        }
        kept: set[int] = set()
        for email, login in mapping.items():
            user = users.get(email)
            if user is None:
                continue  # not registered yet: applied at a later sync
            try:
                async with session.begin_nested():
                    row, changed = await prove_login(
                        session, user.id, cluster, login, source=LoginSource.MAPPING,
                        decided_by=None,
                    )  # fmt: skip
            except (InvalidInput, Conflict) as exc:
                log.warning("mapping %s -> %s on %s refused: %s", email, login, cluster.name, exc)
                counts["skipped"] += 1
                continue
            kept.add(row.id)
            counts["approved"] += int(changed)
        dropped = await session.scalars(
            select(ClusterLogin).where(
                ClusterLogin.cluster_id == cluster.id,
                ClusterLogin.source == LoginSource.MAPPING.value,
                ClusterLogin.status == LoginStatus.APPROVED.value,
            )
        )
        for row in dropped:
            if row.id in kept:
                continue
            row.status, row.reason = LoginStatus.REVOKED.value, "removed from the site mapping"
            row.decided_at = utcnow()
            await audit.record(
                session, "cluster_login.revoked", "cluster_login", row.id, login=row.login,
                user_id=row.user_id, reason=row.reason,
            )  # fmt: skip
            counts["revoked"] += 1
    await session.flush()
    return counts
