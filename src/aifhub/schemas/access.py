"""Pydantic models of the access domain: XCreate / XUpdate / X (read)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from aifhub.schemas.enums.identity import Sector

Hours = Decimal


class ItemIn(BaseModel):
    """Hours asked on one partition ("cluster/partition"), in normalised hours."""

    model_config = ConfigDict(extra="forbid")
    partition: str = Field(min_length=3, max_length=130)
    amount: Decimal = Field(gt=0, max_digits=16, decimal_places=4)


class ApplicationCreate(BaseModel):
    """A new draft application of a project to an access mode."""

    model_config = ConfigDict(extra="forbid")
    project: str
    mode: str
    kind: Literal["new", "renewal", "top_up"] = "new"
    allocation_id: int | None = None
    title: str = Field(min_length=3, max_length=200)
    technical_description: str = Field("", max_length=20000)
    datasets_models: str = Field("", max_length=5000)
    sector: Sector
    duration_months: int = Field(ge=1, le=60)
    items: list[ItemIn] = Field(min_length=1, max_length=20)
    fallback_partitions: list[str] = Field(default=[], max_length=10)


class ApplicationUpdate(BaseModel):
    """Changes to a draft (or an application sent back for changes)."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(None, min_length=3, max_length=200)
    technical_description: str | None = Field(None, max_length=20000)
    datasets_models: str | None = Field(None, max_length=5000)
    sector: Sector | None = None
    duration_months: int | None = Field(None, ge=1, le=60)
    items: list[ItemIn] | None = Field(None, min_length=1, max_length=20)
    fallback_partitions: list[str] | None = Field(None, max_length=10)


class ItemRead(BaseModel):
    partition: str
    unit: str
    requested: Decimal
    granted: Decimal | None


class NextStepRead(BaseModel):
    """Who acts next on an application and what they do.

    actor: applicant, staff, reviewers or director. what: submit, revise, start_assessment,
    technical_review, peer_review, send_to_peer_review, decide, allocate, compute.
    """

    actor: str
    what: str
    reviews_submitted: int = 0
    reviews_needed: int = 0
    due_date: date | None = None
    # The staff action that moves it on (one of allowed_actions), when staff act next.
    action: str | None = None


class ApplicationRead(BaseModel):
    id: int
    project: str
    organisation: str
    mode: str
    kind: str
    allocation_id: int | None
    state: str
    title: str
    technical_description: str
    datasets_models: str
    sector: str
    duration_months: int
    items: list[ItemRead]
    fallback_partitions: list[str]
    created_at: datetime
    submitted_at: datetime | None
    due_date: date | None
    late: bool
    decided_at: datetime | None
    allocated_at: datetime | None
    state_reason: str
    revision: int
    # What the rules accept now: the state's transitions that the mode and the reviews allow,
    # and assign_technical / assign_peer (who may act is checked when they do).
    allowed_actions: list[str]
    next_step: NextStepRead | None = None
    # Decided by the platform itself (a mode with auto_decide), not by staff.
    decided_automatically: bool = False


class ReasonIn(BaseModel):
    """Why (shown to the applicant)."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=3, max_length=5000)


class DecisionIn(BaseModel):
    """Accept (possibly with reduced amounts per partition) or reject, with reasons."""

    model_config = ConfigDict(extra="forbid")
    outcome: Literal["accept", "reject"]
    reason: str = Field(min_length=3, max_length=5000)
    granted: dict[str, Decimal] = {}
    allocate: bool = True


class ReviewAssign(BaseModel):
    """Assign a reviewer (by e-mail) at a step."""

    model_config = ConfigDict(extra="forbid")
    reviewer: str
    step: Literal["technical", "peer"]


class ReviewSubmit(BaseModel):
    """Scores 1-5 per criterion of the mode, and comments."""

    model_config = ConfigDict(extra="forbid")
    scores: dict[str, int]
    comment: str = Field(min_length=3, max_length=20000)


class ConflictIn(BaseModel):
    """Declare a conflict of interest."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=3, max_length=500)


class ReviewRead(BaseModel):
    id: int
    application_id: int
    application_title: str
    reviewer: str
    step: str
    state: str
    scores: dict[str, int]
    comment: str
    conflict_reason: str
    assigned_at: datetime
    submitted_at: datetime | None


class AccessModeRead(BaseModel):
    slug: str
    name: str
    description: str
    org_kinds: list[str]
    countries: list[str]
    min_hours: dict[str, Decimal]
    max_hours: dict[str, Decimal]
    durations_months: list[int]
    deadline_working_days: int
    cutoffs: list[str]
    next_cutoff: date | None
    requires_fallback: bool
    review_steps: list[dict[str, object]]
    criteria: list[str]
    renewable: bool
    top_ups: bool


class BalanceRead(BaseModel):
    granted: Decimal
    reserved: Decimal
    used: Decimal
    remaining: Decimal
    overrun_hours: Decimal = Field(
        description="Settled hours used beyond the granted amount (jobs killed past their time "
        "limit are charged in full); above 0, new jobs are refused until staff grant more."
    )


class AllocationRead(BaseModel):
    id: int
    project: str
    partition: str
    unit: str
    amount: Decimal
    starts_at: datetime
    ends_at: datetime
    state: str
    application_id: int | None
    fallback_partitions: list[str]
    balance: BalanceRead
    overrun_hours: Decimal = Field(description="The balance's overrun_hours, repeated here.")


class AllocationStateIn(BaseModel):
    """Suspend or resume an allocation (staff)."""

    model_config = ConfigDict(extra="forbid")
    action: Literal["suspend", "resume"]
    reason: str = Field(min_length=3, max_length=500)


class ModeStats(BaseModel):
    mode: str
    name: str
    submitted: int
    open: int
    decided: int
    late: int
    median_days: float | None
    p90_days: float | None


class Dashboard(BaseModel):
    as_of: datetime
    modes: list[ModeStats]


class AllocationUsage(BaseModel):
    """One allocation of the project and its balance."""

    allocation_id: int
    partition: str
    unit: str
    starts_at: datetime
    ends_at: datetime
    state: str
    granted: Decimal
    reserved: Decimal
    used: Decimal
    remaining: Decimal
    overrun_hours: Decimal = Field(
        description="Settled hours used beyond the granted amount; above 0, new jobs on this "
        "partition are refused until staff grant more."
    )


class UsageRow(BaseModel):
    """Normalised hours charged for one (allocation, user, partition, day)."""

    allocation_id: int
    day: str
    user: str
    partition: str
    hours: Decimal
    jobs: int


class ProjectUsage(BaseModel):
    """A project's usage: balances per allocation and daily rows."""

    project: str
    allocations: list[AllocationUsage]
    rows: list[UsageRow]


def overrun_sentence(allocation_id: int, partition: str, hours: Decimal) -> str:
    """What an allocation's overrun (its `overrun_hours`) means and what happens next, in the
    words the CLI prints under its tables (the pages say the same, translated)."""
    return (
        f"Allocation #{allocation_id} used {hours} h more than granted on {partition}: new jobs "
        "there are refused, and the cluster blocks the project at its next update, until staff "
        "grant more hours."
    )
