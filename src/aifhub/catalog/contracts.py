"""Access contracts: requested -> agreed -> finalized (the grant), or rejected / terminated."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.catalog.assets import get_asset, require_owner
from aifhub.catalog.errors import PolicyDenied
from aifhub.catalog.grants import is_active, policy_context
from aifhub.catalog.models import AccessContract, Asset
from aifhub.catalog.policy import evaluate
from aifhub.core import audit, csvsafe
from aifhub.core.db import utcnow
from aifhub.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from aifhub.identity import (
    ORG_MANAGERS,
    PROJECT_MANAGERS,
    org_role,
    require_project_role,
    visible_projects,
)
from aifhub.identity.models import Organisation, OrgMembership, Project, User
from aifhub.schemas import catalog as schemas
from aifhub.schemas.enums.catalog import AccessPolicy, ContractState
from aifhub.schemas.enums.identity import StaffRole
from aifhub.schemas.fields import COUNTRY_CODES

OPEN_STATES = (ContractState.REQUESTED, ContractState.AGREED, ContractState.FINALIZED)
Row = tuple[AccessContract, str, str, str]


def _check_answers(questions: list[dict[str, Any]], answers: dict[str, Any]) -> dict[str, Any]:
    names = {q["name"] for q in questions}
    extra = sorted(set(answers) - names)
    if extra:
        raise InvalidInput(f"answers to unknown questions: {', '.join(extra)}")
    clean: dict[str, Any] = {}
    for q in questions:
        value = answers.get(q["name"])
        if value in (None, "", False):
            if q.get("required", True):
                raise InvalidInput(f"answer the question '{q['label']}' ({q['name']})")
            continue
        kind = q["type"]
        if kind == "checkbox" and value is not True:
            raise InvalidInput(f"'{q['name']}' is a checkbox: answer true or false")
        if kind == "text" and (not isinstance(value, str) or len(value) > 2000):
            raise InvalidInput(f"'{q['name']}' takes a text of at most 2000 characters")
        if kind == "country" and (not isinstance(value, str) or value.upper() not in COUNTRY_CODES):
            raise InvalidInput(f"'{q['name']}' takes an ISO 3166 country code such as FR")
        if kind == "select" and value not in q.get("options", []):
            raise InvalidInput(f"'{q['name']}' must be one of: {', '.join(q.get('options', []))}")
        clean[q["name"]] = value.upper() if kind == "country" else value
    return clean


def _rows() -> Any:
    return (
        select(AccessContract, Asset.slug, Project.slug, Organisation.slug)
        .join(Asset, Asset.id == AccessContract.asset_id)
        .join(Project, Project.id == AccessContract.project_id)
        .join(Organisation, Organisation.id == Project.org_id)
    )


def to_read(row: Row) -> schemas.ContractRead:
    """The API view of a contract row (contract, asset slug, project slug, org slug)."""
    c, asset_slug, project_slug, org_slug = row
    return schemas.ContractRead(
        id=c.id,
        asset=asset_slug,
        project=project_slug,
        organisation=org_slug,
        state=c.state,
        purpose=c.purpose,
        answers=c.answers,
        terms=c.terms,
        obligations=c.obligations,
        decision_note=c.decision_note,
        requested_at=c.requested_at,
        agreed_at=c.agreed_at,
        finalized_at=c.finalized_at,
        ended_at=c.ended_at,
        expires_at=c.expires_at,
        active=is_active(c, utcnow()),
    )


async def get_row(session: AsyncSession, contract_id: int) -> Row:
    """A contract with its asset, project and organisation slugs."""
    row = (await session.execute(_rows().where(AccessContract.id == contract_id))).first()
    if row is None:
        raise NotFound(f"No access request {contract_id}.")
    c, a, p, o = row
    return (c, a, p, o)


async def request_access(
    session: AsyncSession, actor: User, slug: str, *, data: schemas.AccessRequestCreate
) -> AccessContract:
    """A project asks for an asset for a purpose (its PI or managers ask).

    Gated: the request waits for the owner. Restricted: the policy decides at once, and an
    allowed request is finalized with the policy's duties as its obligations.
    """
    asset = await get_asset(session, slug)
    project = await require_project_role(session, actor, data.project, PROJECT_MANAGERS)
    if project.org_id == asset.org_id:
        raise Conflict(f"'{asset.slug}' belongs to your own organisation: no request is needed.")
    if asset.access_policy == AccessPolicy.OPEN:
        raise Conflict(f"'{asset.slug}' is open: every project may use it without a request.")
    now = utcnow()
    existing = await session.scalars(
        select(AccessContract).where(
            AccessContract.asset_id == asset.id,
            AccessContract.project_id == project.id,
            AccessContract.state.in_([s.value for s in OPEN_STATES]),
        )
    )
    for c in existing:
        if c.state != ContractState.FINALIZED or is_active(c, now):
            raise Conflict(
                f"Project '{project.slug}' already has a {c.state} request ({c.id}) for "
                f"'{asset.slug}'."
            )
    contract = AccessContract(
        asset_id=asset.id,
        project_id=project.id,
        requested_by_id=actor.id,
        purpose=data.purpose,
        answers={},
        obligations=[],
        state=ContractState.REQUESTED.value,
        requested_at=now,
    )
    if asset.access_policy == AccessPolicy.GATED:
        contract.answers = _check_answers(asset.gate_questions, data.answers)
    else:
        if data.answers:
            raise InvalidInput(f"'{asset.slug}' asks no questions; send no answers.")
        ctx = await policy_context(
            session, project, purpose=data.purpose, at=now, destination="factory"
        )
        decision = evaluate(asset.policy_rules, ctx)
        if not decision.allowed:
            raise PolicyDenied(
                f"The policy of '{asset.slug}' does not permit project '{project.slug}': "
                + "; ".join(decision.reasons),
                reasons=decision.reasons,
            )
        contract.state = ContractState.FINALIZED.value
        contract.obligations = decision.duties
        contract.terms = "Automatic agreement under the asset's published usage policy."
        contract.agreed_at = contract.finalized_at = now
        contract.expires_at = now + timedelta(days=asset.grant_days)
    session.add(contract)
    await session.flush()
    await audit.record(
        session, "catalog.access_request", "access_contract", contract.id,
        asset=asset.slug, project=project.slug, state=contract.state,
    )  # fmt: skip
    return contract


async def _owned_contract(
    session: AsyncSession, actor: User, contract_id: int
) -> tuple[AccessContract, Asset]:
    contract = await session.get(AccessContract, contract_id)
    if contract is None:
        raise NotFound(f"No access request {contract_id}.")
    asset = await session.get(Asset, contract.asset_id)
    assert asset is not None
    await require_owner(session, actor, asset)
    return contract, asset


async def decide(
    session: AsyncSession,
    actor: User,
    contract_id: int,
    *,
    approve: bool,
    data: schemas.ContractDecision,
) -> AccessContract:
    """The owner agrees to (with terms and a duration) or rejects a pending request."""
    contract, asset = await _owned_contract(session, actor, contract_id)
    if contract.state != ContractState.REQUESTED:
        raise Conflict(
            f"Request {contract_id} is {contract.state}; only a requested one is decided."
        )
    if not approve and not data.note.strip():
        raise InvalidInput(
            "Give the reason for the refusal in a sentence: the requester reads it.", field="note"
        )
    now = utcnow()
    contract.decided_by_id = actor.id
    contract.decision_note = data.note.strip()
    if approve:
        contract.state = ContractState.AGREED.value
        contract.agreed_at = now
        contract.terms = (
            data.terms
            if data.terms is not None
            else (
                f"Use of '{asset.slug}' for the stated purpose, "
                f"under its licence ({asset.license})."
            )
        )
        contract.expires_at = now + timedelta(days=data.days or asset.grant_days)
    else:
        contract.state = ContractState.REJECTED.value
        contract.ended_at = now
    await session.flush()
    await audit.record(
        session, "catalog.access_" + ("agree" if approve else "reject"),
        "access_contract", contract.id, asset=asset.slug,
    )  # fmt: skip
    return contract


async def finalize(session: AsyncSession, actor: User, contract_id: int) -> AccessContract:
    """The requesting project accepts the agreed terms: the grant is in force."""
    contract = await session.get(AccessContract, contract_id)
    if contract is None:
        raise NotFound(f"No access request {contract_id}.")
    project = await session.get(Project, contract.project_id)
    assert project is not None
    await require_project_role(session, actor, project.slug, PROJECT_MANAGERS)
    if contract.state != ContractState.AGREED:
        raise Conflict(
            f"Request {contract_id} is {contract.state}; only agreed terms are accepted."
        )
    now = utcnow()
    if contract.expires_at is not None and contract.expires_at <= now:
        raise Conflict("The agreed terms have expired; request access again.")
    contract.state = ContractState.FINALIZED.value
    contract.finalized_at = now
    await session.flush()
    await audit.record(session, "catalog.access_finalize", "access_contract", contract.id)
    return contract


async def terminate(
    session: AsyncSession, actor: User, contract_id: int, *, note: str = ""
) -> AccessContract:
    """End a request or revoke a grant: the owner, or the project's PI/managers."""
    contract = await session.get(AccessContract, contract_id)
    if contract is None:
        raise NotFound(f"No access request {contract_id}.")
    asset = await session.get(Asset, contract.asset_id)
    project = await session.get(Project, contract.project_id)
    assert asset is not None and project is not None
    if not await _may_terminate(session, actor, asset, project):
        raise PermissionDenied("Only the asset's owners or the project's PI/managers can end this.")
    if contract.state not in OPEN_STATES:
        raise Conflict(f"Request {contract_id} is already {contract.state}.")
    contract.state = ContractState.TERMINATED.value
    contract.ended_at = utcnow()
    contract.decision_note = note or contract.decision_note
    await session.flush()
    await audit.record(
        session, "catalog.access_terminate", "access_contract", contract.id, asset=asset.slug
    )
    return contract


async def _may_terminate(
    session: AsyncSession, actor: User, asset: Asset, project: Project
) -> bool:
    if (
        actor.has_role(StaffRole.ADMIN)
        or await org_role(session, actor, asset.org_id) in ORG_MANAGERS
    ):
        return True
    try:
        await require_project_role(session, actor, project.slug, PROJECT_MANAGERS)
    except (PermissionDenied, NotFound):
        return False
    return True


async def list_for_asset(
    session: AsyncSession, actor: User, slug: str, *, state: str | None = None
) -> list[Row]:
    """Every request and grant of an asset (its owners only)."""
    asset = await get_asset(session, slug)
    await require_owner(session, actor, asset)
    query = _rows().where(AccessContract.asset_id == asset.id)
    if state:
        query = query.where(AccessContract.state == state)
    rows = await session.execute(query.order_by(AccessContract.id.desc()))
    return [(c, a, p, o) for c, a, p, o in rows.all()]


async def list_mine(session: AsyncSession, actor: User) -> list[Row]:
    """Requests of the projects the actor can see, and those addressed to assets they own."""
    projects = visible_projects(actor).with_only_columns(Project.id)
    owned = select(Asset.id).where(Asset.org_id.in_(_managed_org_ids(actor)))
    query = _rows().where(
        or_(AccessContract.project_id.in_(projects), AccessContract.asset_id.in_(owned))
    )
    rows = await session.execute(query.order_by(AccessContract.id.desc()).limit(500))
    return [(c, a, p, o) for c, a, p, o in rows.all()]


def _managed_org_ids(actor: User) -> Select[Any]:
    return select(OrgMembership.org_id).where(
        OrgMembership.user_id == actor.id, OrgMembership.role.in_(ORG_MANAGERS)
    )


def grants_csv(rows: list[Row]) -> str:
    """Who has (had) access, as CSV: one line per contract."""
    out = io.StringIO()
    writer = csvsafe.writer(out)
    writer.writerow(
        ["contract", "asset", "organisation", "project", "state", "active", "purpose",
         "requested_at", "finalized_at", "expires_at", "ended_at"]
    )  # fmt: skip
    now = utcnow()
    for c, asset_slug, project_slug, org_slug in rows:
        writer.writerow([
            c.id, asset_slug, org_slug, project_slug, c.state, is_active(c, now), c.purpose,
            c.requested_at.isoformat(),
            c.finalized_at.isoformat() if c.finalized_at else "",
            c.expires_at.isoformat() if c.expires_at else "",
            c.ended_at.isoformat() if c.ended_at else "",
        ])  # fmt: skip
    return out.getvalue()


@dataclass(frozen=True)
class PendingRequest:
    """A request waiting for a decision, with everything the approver reads before deciding."""

    contract: schemas.ContractRead
    asset_name: str
    project_name: str
    organisation_name: str
    requester_name: str
    requester_email: str
    # (question, answer) for every question of the asset's form, in the form's order.
    answers: list[tuple[str, Any]]


def _answers_shown(
    questions: list[dict[str, Any]], answers: dict[str, Any]
) -> list[tuple[str, Any]]:
    shown = [(q["label"], answers.get(q["name"])) for q in questions]
    asked = {q["name"] for q in questions}
    # Answers to questions removed from the form since the request are still shown.
    shown += [(name, value) for name, value in answers.items() if name not in asked]
    return shown


def _reviewable(actor: User) -> Any:
    query = (
        select(AccessContract, Asset, Project, Organisation, User)
        .join(Asset, Asset.id == AccessContract.asset_id)
        .join(Project, Project.id == AccessContract.project_id)
        .join(Organisation, Organisation.id == Project.org_id)
        .outerjoin(User, User.id == AccessContract.requested_by_id)
        .where(AccessContract.state == ContractState.REQUESTED.value)
    )
    if not actor.has_role(StaffRole.ADMIN):
        query = query.where(Asset.org_id.in_(_managed_org_ids(actor)))
    return query


async def pending_requests(
    session: AsyncSession, actor: User, *, slug: str | None = None
) -> list[PendingRequest]:
    """Requests waiting for the actor's decision (assets of organisations they manage; staff
    admins: all), oldest first, with the requester's every answer."""
    query = _reviewable(actor)
    if slug is not None:
        query = query.where(Asset.slug == slug)
    rows = await session.execute(query.order_by(AccessContract.requested_at, AccessContract.id))
    out = []
    for c, asset, project, org, requester in rows.all():
        out.append(
            PendingRequest(
                contract=to_read((c, asset.slug, project.slug, org.slug)),
                asset_name=asset.name,
                project_name=project.name,
                organisation_name=org.name,
                requester_name=requester.name if requester else "",
                requester_email=requester.email if requester else "",
                answers=_answers_shown(asset.gate_questions or [], c.answers or {}),
            )
        )
    return out


async def count_pending(session: AsyncSession, actor: User) -> int:
    """How many requests wait for the actor's decision."""
    sub = _reviewable(actor).with_only_columns(AccessContract.id).subquery()
    return int(await session.scalar(select(func.count()).select_from(sub)) or 0)
