"""Who may use an asset's files now: grants, policy checks at the time of use, the access log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.catalog.errors import GrantExpired, GrantRequired, PolicyDenied
from aifhub.catalog.models import AccessContract, AccessLogEntry, Asset, AssetVersion
from aifhub.catalog.policy import PolicyContext, evaluate
from aifhub.core import context
from aifhub.core.db import utcnow
from aifhub.identity.models import Organisation, Project
from aifhub.schemas.enums.catalog import AccessPolicy, ContractState


def is_active(contract: AccessContract, at: datetime) -> bool:
    """True when a contract is a grant in force at this time."""
    return (
        contract.state == ContractState.FINALIZED
        and contract.ended_at is None
        and (contract.expires_at is None or contract.expires_at > at)
    )


async def policy_context(
    session: AsyncSession, project: Project, *, purpose: str, at: datetime, destination: str
) -> PolicyContext:
    """The policy context of a project: its organisation's kind, country and sectors."""
    org = await session.get(Organisation, project.org_id)
    assert org is not None
    sectors = tuple(dict.fromkeys([*(org.sectors or []), project.sector]))
    return PolicyContext(
        org_kind=org.kind,
        country=org.country,
        sectors=sectors,
        purpose=purpose,
        at=at,
        destination=destination,
    )


async def require_grant(
    session: AsyncSession,
    *,
    asset: Asset,
    project: Project,
    at: datetime,
    destination: str,
) -> AccessContract | None:
    """The grant that lets a project use an asset now (None for open assets and owners).

    Raises GrantRequired when there is none, GrantExpired when the last one expired or was
    revoked, PolicyDenied when a restricted asset's rules forbid this use now.
    """
    if asset.access_policy == AccessPolicy.OPEN or project.org_id == asset.org_id:
        return None
    contracts = list(
        await session.scalars(
            select(AccessContract)
            .where(AccessContract.asset_id == asset.id, AccessContract.project_id == project.id)
            .order_by(AccessContract.id.desc())
        )
    )
    grant = next((c for c in contracts if is_active(c, at)), None)
    if grant is None:
        if any(c.state in (ContractState.FINALIZED, ContractState.TERMINATED) for c in contracts):
            raise GrantExpired(
                f"Project '{project.slug}' had access to '{asset.slug}' but the grant has "
                "expired or was revoked; request access again.",
                asset=asset.slug,
            )
        raise GrantRequired(
            f"Project '{project.slug}' has no access grant for '{asset.slug}' "
            f"({asset.access_policy}); request access on the asset's page first.",
            asset=asset.slug,
        )
    if asset.access_policy == AccessPolicy.RESTRICTED:
        ctx = await policy_context(
            session, project, purpose=grant.purpose, at=at, destination=destination
        )
        decision = evaluate(asset.policy_rules, ctx)
        if not decision.allowed:
            raise PolicyDenied(
                f"The policy of '{asset.slug}' does not permit this: "
                + "; ".join(decision.reasons),
                asset=asset.slug,
                reasons=decision.reasons,
            )
    return grant


async def grant_valid(session: AsyncSession, grant_id: int | None, at: datetime) -> bool:
    """True when the grant is still in force at `at` (None, for open assets, is always valid)."""
    if grant_id is None:
        return True
    contract = await session.get(AccessContract, grant_id)
    return contract is not None and is_active(contract, at)


def log_access(
    session: AsyncSession,
    *,
    asset: Asset,
    version: AssetVersion | None,
    action: str,
    user_id: int | None,
    project_id: int | None,
    contract_id: int | None,
    path: str | None = None,
    job_key: str | None = None,
) -> AccessLogEntry:
    """Add an access-log row (committed with the request that made the access)."""
    entry = AccessLogEntry(
        asset_id=asset.id,
        version_id=version.id if version else None,
        user_id=user_id,
        project_id=project_id,
        contract_id=contract_id,
        action=action,
        path=path,
        job_key=job_key,
        client_addr=context.current().client_addr,
        at=utcnow(),
    )
    session.add(entry)
    return entry
