"""Catalogue's wire values: asset kinds, access policies, version and contract states."""

from __future__ import annotations

from enum import StrEnum

from aifhub.schemas.enums.labels import N_, Labels


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


class Sovereignty(StrEnum):
    """Where an asset was made and is hosted (catalog.assets.sovereignty_of)."""

    EU = "eu"
    EU_HOSTED = "eu_hosted"
    EU_MADE = "eu_made"
    NON_EU = "non_eu"
    UNKNOWN = "unknown"  # neither country known


class SearchFacet(StrEnum):
    """The facets of a catalogue search (catalog.search)."""

    KIND = "kind"
    TASK = "task"
    LICENSE = "license"
    ACCESS_POLICY = "access_policy"
    SOVEREIGNTY = "sovereignty"
    SECTOR = "sector"
    LANGUAGE = "language"


class SearchSort(StrEnum):
    """The orders of a catalogue search."""

    RELEVANCE = "relevance"
    NAME = "name"
    UPDATED = "updated"
    DOWNLOADS = "downloads"


LABELS: Labels = {
    AssetKind: {
        AssetKind.DATASET: N_("dataset"),
        AssetKind.MODEL: N_("model"),
    },
    AccessPolicy: {
        AccessPolicy.OPEN: N_("open"),
        AccessPolicy.GATED: N_("gated"),
        AccessPolicy.RESTRICTED: N_("restricted"),
    },
    VersionState: {
        VersionState.DRAFT: N_("draft"),
        VersionState.PUBLISHED: N_("published"),
    },
    ContractState: {
        ContractState.REQUESTED: N_("requested"),
        ContractState.AGREED: N_("agreed"),
        ContractState.FINALIZED: N_("finalized"),
        ContractState.REJECTED: N_("rejected"),
        ContractState.TERMINATED: N_("terminated"),
    },
    Sovereignty: {
        Sovereignty.EU: N_("made and hosted in the EU"),
        Sovereignty.EU_HOSTED: N_("hosted in the EU"),
        Sovereignty.EU_MADE: N_("made in the EU"),
        Sovereignty.NON_EU: N_("outside the EU"),
        Sovereignty.UNKNOWN: N_("origin unknown"),
    },
    SearchFacet: {
        SearchFacet.KIND: N_("kind"),
        SearchFacet.TASK: N_("task"),
        SearchFacet.LICENSE: N_("license"),
        SearchFacet.ACCESS_POLICY: N_("access policy"),
        SearchFacet.SOVEREIGNTY: N_("sovereignty"),
        SearchFacet.SECTOR: N_("sector"),
        SearchFacet.LANGUAGE: N_("language"),
    },
    SearchSort: {
        SearchSort.RELEVANCE: N_("relevance"),
        SearchSort.NAME: N_("name"),
        SearchSort.UPDATED: N_("updated"),
        SearchSort.DOWNLOADS: N_("downloads"),
    },
}
