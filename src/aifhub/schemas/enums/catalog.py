"""Catalogue's wire values: asset kinds, access policies, version and contract states."""

from __future__ import annotations

from enum import StrEnum


class AssetKind(StrEnum):
    DATASET = "dataset"
    MODEL = "model"


class AccessPolicy(StrEnum):
    OPEN = "open"
    GATED = "gated"
    RESTRICTED = "restricted"


class VersionState(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class ContractState(StrEnum):
    REQUESTED = "requested"
    AGREED = "agreed"
    FINALIZED = "finalized"
    REJECTED = "rejected"
    TERMINATED = "terminated"
