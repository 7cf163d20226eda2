"""Ecosystem's wire values: course levels, formats, partner kinds, stages, states."""

from __future__ import annotations

from enum import StrEnum


class Level(StrEnum):
    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


class SessionFormat(StrEnum):
    ONSITE = "onsite"
    ONLINE = "online"


class EnrolmentState(StrEnum):
    ENROLLED = "enrolled"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class PartnerKind(StrEnum):
    INCUBATOR = "incubator"
    FUND = "fund"


class Stage(StrEnum):
    IDEA = "idea"
    PRE_SEED = "pre_seed"
    SEED = "seed"
    SERIES_A = "series_a"
    GROWTH = "growth"


class IntroState(StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class IntroOutcome(StrEnum):
    PENDING = "pending"
    MEETING_HELD = "meeting_held"
    ADMITTED = "admitted"
    INVESTED = "invested"
    NO_DEAL = "no_deal"


class OfferKind(StrEnum):
    JOB = "job"
    INTERNSHIP = "internship"
