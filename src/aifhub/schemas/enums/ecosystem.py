"""Ecosystem's wire values: course levels, formats, partner kinds, stages, states."""

from __future__ import annotations

from enum import StrEnum

from aifhub.schemas.enums.labels import N_, Labels


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


LABELS: Labels = {
    Level: {
        Level.BEGINNER: N_("beginner"),
        Level.INTERMEDIATE: N_("intermediate"),
        Level.ADVANCED: N_("advanced"),
    },
    SessionFormat: {
        SessionFormat.ONSITE: N_("on site"),
        SessionFormat.ONLINE: N_("online"),
    },
    EnrolmentState: {
        EnrolmentState.ENROLLED: N_("enrolled"),
        EnrolmentState.WAITLISTED: N_("waitlisted"),
        EnrolmentState.CANCELLED: N_("cancelled"),
    },
    PartnerKind: {
        PartnerKind.INCUBATOR: N_("incubator"),
        PartnerKind.FUND: N_("investment fund"),
    },
    Stage: {
        Stage.IDEA: N_("idea"),
        Stage.PRE_SEED: N_("pre-seed"),
        Stage.SEED: N_("seed"),
        Stage.SERIES_A: N_("series A"),
        Stage.GROWTH: N_("growth"),
    },
    IntroState: {
        IntroState.REQUESTED: N_("requested"),
        IntroState.ACCEPTED: N_("accepted"),
        IntroState.DECLINED: N_("declined"),
    },
    IntroOutcome: {
        IntroOutcome.PENDING: N_("no outcome yet"),
        IntroOutcome.MEETING_HELD: N_("meeting held"),
        IntroOutcome.ADMITTED: N_("admitted"),
        IntroOutcome.INVESTED: N_("invested"),
        IntroOutcome.NO_DEAL: N_("no deal"),
    },
    OfferKind: {
        OfferKind.JOB: N_("job"),
        OfferKind.INTERNSHIP: N_("internship"),
    },
}
