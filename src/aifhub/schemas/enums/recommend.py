"""Recommend's wire values: the kinds of candidates a project is proposed."""

from __future__ import annotations

from enum import StrEnum

from aifhub.schemas.enums.labels import N_, Labels


class CandidateKind(StrEnum):
    PARTITION = "partition"
    DATASET = "dataset"
    MODEL = "model"
    EXPERT = "expert"
    COURSE = "course"
    INCUBATOR = "incubator"
    FUND = "fund"
    ARTICLE = "article"


LABELS: Labels = {
    CandidateKind: {
        CandidateKind.PARTITION: N_("Partitions"),
        CandidateKind.DATASET: N_("Datasets"),
        CandidateKind.MODEL: N_("Models"),
        CandidateKind.EXPERT: N_("Experts"),
        CandidateKind.COURSE: N_("Courses"),
        CandidateKind.INCUBATOR: N_("Incubators"),
        CandidateKind.FUND: N_("Investment funds"),
        CandidateKind.ARTICLE: N_("Help articles"),
    },
}
