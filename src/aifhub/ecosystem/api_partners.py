"""Incubators, funds, introductions and the talent board under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter, status

from aifhub.core.db import DbSession
from aifhub.core.validation import Id
from aifhub.ecosystem import partners, talent
from aifhub.identity import CurrentUser
from aifhub.schemas import ecosystem as schemas
from aifhub.schemas.enums.ecosystem import IntroState, OfferKind, PartnerKind, Stage

router = APIRouter(tags=["ecosystem"])


@router.get("/partners")
async def list_partners(
    db: DbSession,
    user: CurrentUser,
    kind: PartnerKind | None = None,
    sector: str | None = None,
    stage: Stage | None = None,
    country: str | None = None,
) -> list[schemas.PartnerRead]:
    """Incubators and funds, filtered."""
    rows = await partners.list_partners(
        db,
        kind=kind.value if kind else None,
        sector=sector,
        stage=stage.value if stage else None,
        country=country.upper() if country else None,
    )
    return [schemas.PartnerRead.model_validate(p) for p in rows]


@router.post("/partners", status_code=status.HTTP_201_CREATED)
async def create_partner(
    db: DbSession, user: CurrentUser, body: schemas.PartnerCreate
) -> schemas.PartnerRead:
    """Add an incubator or a fund (staff)."""
    return schemas.PartnerRead.model_validate(await partners.create_partner(db, user, data=body))


@router.get("/partners/{slug}")
async def read_partner(db: DbSession, user: CurrentUser, slug: str) -> schemas.PartnerRead:
    """One incubator or fund."""
    return schemas.PartnerRead.model_validate(await partners.get_partner(db, slug))


@router.post("/partners/{slug}/introductions", status_code=status.HTTP_201_CREATED)
async def request_introduction(
    db: DbSession, user: CurrentUser, slug: str, body: schemas.IntroductionCreate
) -> schemas.IntroductionRead:
    """Ask for an introduction with a short pitch (members of a startup)."""
    intro = await partners.request_introduction(
        db, user, slug, organisation=body.organisation, pitch=body.pitch
    )
    return schemas.IntroductionRead.model_validate(intro)


@router.get("/introductions")
async def list_introductions(
    db: DbSession, user: CurrentUser, state: IntroState | None = None
) -> list[schemas.IntroductionRead]:
    """Introductions one can see (one's organisations', one's partner's, all for staff)."""
    rows = await partners.list_introductions(db, user, state=state.value if state else None)
    return [
        schemas.IntroductionRead.model_validate(i).model_copy(
            update={"partner_name": p, "organisation_name": o}
        )
        for i, p, o in rows
    ]


@router.post("/introductions/{intro_id}/decision", operation_id="decide_introduction")
async def decide(
    db: DbSession, user: CurrentUser, intro_id: Id, body: schemas.IntroDecisionIn
) -> schemas.IntroductionRead:
    """Accept or decline an introduction (the partner's contact, or staff)."""
    intro = await partners.decide(db, user, intro_id, accept=body.accept, note=body.note)
    return schemas.IntroductionRead.model_validate(intro)


@router.post("/introductions/{intro_id}/outcome")
async def outcome(
    db: DbSession, user: CurrentUser, intro_id: Id, body: schemas.OutcomeIn
) -> schemas.IntroductionRead:
    """Record what came of an accepted introduction."""
    intro = await partners.record_outcome(
        db, user, intro_id, outcome=body.outcome.value, note=body.note
    )
    return schemas.IntroductionRead.model_validate(intro)


@router.get("/talent/offers")
async def list_offers(
    db: DbSession, user: CurrentUser, kind: OfferKind | None = None
) -> list[schemas.OfferRead]:
    """Open job and internship offers."""
    rows = await talent.list_offers(db, kind=kind.value if kind else None)
    return [schemas.OfferRead.model_validate(o) for o, _ in rows]


@router.post("/talent/offers", status_code=status.HTTP_201_CREATED)
async def create_offer(
    db: DbSession, user: CurrentUser, body: schemas.OfferCreate
) -> schemas.OfferRead:
    """Publish an offer for one of one's organisations."""
    return schemas.OfferRead.model_validate(await talent.create_offer(db, user, data=body))


@router.post("/talent/offers/{offer_id}/close")
async def close_offer(db: DbSession, user: CurrentUser, offer_id: Id) -> schemas.OfferRead:
    """Close an offer."""
    return schemas.OfferRead.model_validate(await talent.close_offer(db, user, offer_id))


@router.put("/talent/me")
async def put_my_profile(
    db: DbSession, user: CurrentUser, body: schemas.TalentProfileIn
) -> schemas.TalentProfileRead:
    """Create or change one's talent profile (listed only with opted_in)."""
    p = await talent.upsert_profile(db, user, data=body)
    return schemas.TalentProfileRead.model_validate(p).model_copy(update={"name": user.name})


@router.get("/talent/profiles")
async def list_profiles(db: DbSession, user: CurrentUser) -> list[schemas.TalentProfileRead]:
    """Profiles of people who opted in."""
    return [
        schemas.TalentProfileRead.model_validate(p).model_copy(update={"name": n})
        for p, n in await talent.list_profiles(db)
    ]
