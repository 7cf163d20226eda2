"""Words the catalogue's pages show for its stored values (English msgids, translated there)."""

from __future__ import annotations

from aifhub.core.i18n import N_
from aifhub.identity import SECTORS

KINDS = {"dataset": N_("Dataset"), "model": N_("Model")}
POLICIES = {
    "open": N_("Open to all"),
    "gated": N_("On request"),
    "restricted": N_("Under a usage policy"),
}
SOVEREIGNTY = {
    "eu": N_("Made and hosted in the EU"),
    "eu_hosted": N_("Hosted in the EU"),
    "eu_made": N_("Made in the EU"),
    "non_eu": N_("Outside the EU"),
    "unknown": N_("Origin unknown"),
}
FACETS = {
    "kind": N_("Kind"),
    "task": N_("Task"),
    "license": N_("Licence"),
    "language": N_("Language"),
    "sector": N_("Sector"),
    "access_policy": N_("Access"),
    "sovereignty": N_("Sovereignty"),
    "organisation": N_("Organisation"),
}
SORTS = {
    "relevance": N_("Most relevant"),
    "name": N_("By name"),
    "updated": N_("Recently updated"),
    "downloads": N_("Most downloaded"),
}
VERSION_STATES = {"draft": N_("Draft, not yet published"), "published": N_("Published")}
LOG_ACTIONS = {"download": N_("Downloaded"), "stage": N_("Staged into a job")}
# The values of each facet, by facet (facets absent here show their values as they are: codes).
FACET_VALUES = {
    "kind": KINDS,
    "access_policy": POLICIES,
    "sovereignty": SOVEREIGNTY,
    "sector": SECTORS,
}

LABELS = {
    "kinds": KINDS,
    "policies": POLICIES,
    "sovereignty": SOVEREIGNTY,
    "facets": FACETS,
    "facet_values": FACET_VALUES,
    "sorts": SORTS,
    "version_states": VERSION_STATES,
    "log_actions": LOG_ACTIONS,
}
