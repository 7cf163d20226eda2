"""Support request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from aifhub.schemas.enums.identity import Sector
from aifhub.schemas.enums.support import Priority, TicketCategory, TicketState
from aifhub.schemas.fields import LongText, Name, Slug

Lang = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[a-z]{2}$")
]
Body = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ExpertProfileUpdate(Strict):
    headline: Annotated[str, StringConstraints(max_length=200)] = ""
    bio: LongText = ""
    skills: list[str] = Field(default_factory=list, max_length=30)
    sectors: list[Sector] = Field(default_factory=list, max_length=12)
    languages: list[Lang] = Field(default_factory=lambda: ["en"], max_length=10)
    capacity: int = Field(default=5, ge=0, le=100)
    available: bool = True


class ExpertRead(Read):
    user_id: int
    name: str
    email: str
    headline: str
    bio: str
    skills: list[str]
    sectors: list[str]
    languages: list[str]
    capacity: int
    available: bool
    open_tickets: int = 0


class SkillRead(BaseModel):
    key: str
    label: str
    categories: list[str]


class TicketCreate(Strict):
    project: Slug
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]
    body: Body
    category: TicketCategory
    priority: Priority = Priority.NORMAL


class SlaRead(BaseModel):
    first_response_due: datetime
    resolution_due: datetime
    first_response_breached: bool
    resolution_breached: bool


class TicketRead(BaseModel):
    id: int
    project: str
    title: str
    category: str
    priority: str
    state: str
    requester_id: int
    assignee_id: int | None
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    rating: int | None
    sla: SlaRead
    allowed_transitions: list[str]


class AttachmentRead(Read):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str


class MessageRead(BaseModel):
    id: int
    author_id: int
    author_name: str
    body: str
    created_at: datetime
    attachments: list[AttachmentRead]


class TicketDetail(TicketRead):
    messages: list[MessageRead]


class TransitionIn(Strict):
    to: TicketState


class AssignIn(Strict):
    expert_id: int
    allow_over_capacity: bool = False


class RatingIn(Strict):
    rating: int = Field(ge=1, le=5)
    comment: Annotated[str, StringConstraints(max_length=2000)] = ""


class ProposalRead(BaseModel):
    expert_id: int
    name: str
    score: float
    load: int
    capacity: int
    reasons: list[str]


class ArticleCreate(Strict):
    slug: Slug
    title: Name
    body: Body
    category: TicketCategory = TicketCategory.OTHER
    tags: list[Annotated[str, StringConstraints(max_length=40)]] = Field(
        default_factory=list, max_length=20
    )
    published: bool = True


class ArticleUpdate(Strict):
    title: Name | None = None
    body: Body | None = None
    category: TicketCategory | None = None
    tags: list[Annotated[str, StringConstraints(max_length=40)]] | None = None
    published: bool | None = None


class ArticleRead(Read):
    id: int
    slug: str
    title: str
    body: str
    category: str
    tags: list[str]
    published: bool
    updated_at: datetime


class ArticleHit(BaseModel):
    slug: str
    title: str
    score: float
    excerpt: str


class ExpertLoad(BaseModel):
    expert_id: int
    name: str
    open_tickets: int
    capacity: int


class DashboardRead(BaseModel):
    by_state: dict[str, int]
    open_tickets: int
    first_response_breaches: int
    resolution_breaches: int
    load: list[ExpertLoad]
    median_first_response_working_hours: float | None
    median_resolution_working_hours: float | None
    window_days: int
