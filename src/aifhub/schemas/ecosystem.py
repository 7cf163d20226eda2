"""Ecosystem request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from aifhub.schemas.enums.ecosystem import (
    IntroOutcome,
    Level,
    OfferKind,
    PartnerKind,
    SessionFormat,
    Stage,
)
from aifhub.schemas.enums.identity import Sector
from aifhub.schemas.fields import Country, LongText, Name, Slug, WebUrl

Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Lang = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[a-z]{2}$")
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class CourseCreate(Strict):
    slug: Slug
    title: Name
    summary: LongText = ""
    level: Level
    topics: list[Tag] = Field(default_factory=list, max_length=20)
    sectors: list[Sector] = Field(default_factory=list, max_length=12)


class SessionCreate(Strict):
    format: SessionFormat
    location: Annotated[str, StringConstraints(max_length=200)] = ""
    language: Lang = "en"
    starts_at: datetime
    ends_at: datetime
    seats: int = Field(ge=1, le=10_000)
    waitlist_enabled: bool = True

    @model_validator(mode="after")
    def _dates(self) -> SessionCreate:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("give dates with a time zone, e.g. 2026-12-03T09:00:00+01:00")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class SessionRead(Read):
    id: int
    course_id: int
    format: str
    location: str
    language: str
    starts_at: datetime
    ends_at: datetime
    seats: int
    waitlist_enabled: bool
    enrolled: int = 0
    waitlisted: int = 0


class CourseRead(Read):
    id: int
    slug: str
    title: str
    summary: str
    level: str
    topics: list[str]
    sectors: list[str]
    sessions: list[SessionRead] = []


class EnrolmentRead(Read):
    id: int
    session_id: int
    user_id: int
    state: str
    queued_at: datetime
    promoted_at: datetime | None
    cancelled_at: datetime | None
    attended: bool
    waitlist_position: int | None = None
    name: str | None = None  # filled on a roster only
    email: str | None = None  # filled on a roster only


class AttendanceIn(Strict):
    user_ids: list[int] = Field(min_length=1, max_length=1000)
    attended: bool = True


class CertificateRead(BaseModel):
    enrolment_id: int
    participant: str
    course: str
    level: str
    starts_at: datetime
    ends_at: datetime
    format: str
    location: str
    hours: float
    factory: str


class OfferCreate(Strict):
    organisation: Slug
    kind: OfferKind
    title: Name
    description: LongText = ""
    location: Annotated[str, StringConstraints(max_length=200)] = ""
    skills: list[Tag] = Field(default_factory=list, max_length=20)


class OfferRead(Read):
    id: int
    org_id: int
    kind: str
    title: str
    description: str
    location: str
    skills: list[str]
    is_open: bool
    created_at: datetime


class TalentProfileIn(Strict):
    headline: Annotated[str, StringConstraints(max_length=200)] = ""
    bio: LongText = ""
    skills: list[Tag] = Field(default_factory=list, max_length=30)
    looking_for: OfferKind = OfferKind.JOB
    opted_in: bool = False


class TalentProfileRead(Read):
    user_id: int
    name: str = ""
    headline: str
    bio: str
    skills: list[str]
    looking_for: str
    opted_in: bool


class PartnerCreate(Strict):
    slug: Slug
    name: Name
    kind: PartnerKind
    description: LongText = ""
    programme: LongText = ""
    location: Annotated[str, StringConstraints(max_length=200)] = ""
    country: Country = "FR"
    sectors: list[Sector] = Field(default_factory=list, max_length=12)
    stages: list[Stage] = Field(default_factory=list, max_length=5)
    countries: list[Country] = Field(default_factory=list, max_length=40)
    ticket_min_eur: int | None = Field(default=None, ge=0)
    ticket_max_eur: int | None = Field(default=None, ge=0)
    startups_only: bool = True
    website: WebUrl | None = None
    contact_email: str | None = None

    @model_validator(mode="after")
    def _tickets(self) -> PartnerCreate:
        lo, hi = self.ticket_min_eur, self.ticket_max_eur
        if lo is not None and hi is not None and lo > hi:
            raise ValueError("ticket_min_eur must not exceed ticket_max_eur")
        return self


class PartnerRead(Read):
    id: int
    slug: str
    name: str
    kind: str
    description: str
    programme: str
    location: str
    country: str
    sectors: list[str]
    stages: list[str]
    countries: list[str]
    ticket_min_eur: int | None
    ticket_max_eur: int | None
    startups_only: bool
    website: str | None


class IntroductionCreate(Strict):
    organisation: Slug
    pitch: Annotated[str, StringConstraints(strip_whitespace=True, min_length=20, max_length=3000)]


class IntroDecisionIn(Strict):
    accept: bool
    note: Annotated[str, StringConstraints(max_length=2000)] = ""


class OutcomeIn(Strict):
    outcome: IntroOutcome
    note: Annotated[str, StringConstraints(max_length=2000)] = ""


class IntroductionRead(Read):
    id: int
    partner_id: int
    org_id: int
    requested_by_id: int
    pitch: str
    state: str
    decided_at: datetime | None
    decision_note: str
    outcome: str
    outcome_note: str
    created_at: datetime
    partner_name: str | None = None  # filled on lists
    organisation_name: str | None = None  # filled on lists
