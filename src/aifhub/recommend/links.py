"""Where a recommended or found item leads: its page, and the page of what is recommended.

Each kind of candidate maps to existing pages of the other domains (by URL only: nothing is
imported). An item without a page of its own (an expert) gets at least its action.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from aifhub.core.i18n import N_

Translate = Callable[[str], str]


@dataclass(frozen=True)
class ItemLinks:
    """The item's page (None: it has none) and the actions proposed: (label, url) pairs, the
    labels already translated."""

    page: str | None
    actions: tuple[tuple[str, str], ...] = ()


def _q(value: str) -> str:
    return quote(value, safe="")


def _same(message: str) -> str:
    return message


def item_links(
    kind: str,
    item_id: str,
    title: str,
    project: str | None = None,
    translate: Translate = _same,
    *,
    open_access: bool = False,
) -> ItemLinks:
    """The links of one item of a kind (partition, dataset, model, expert, course, incubator,
    fund, article, mode), for a project when the item was recommended to one. A dataset or
    model open to all (`open_access`) has nothing to request."""
    t = translate
    of_project = {"project": project} if project else {}
    if kind in ("dataset", "model"):
        page = "/catalog/" + "/".join(_q(p) for p in item_id.split("/", 1))
        if open_access:  # nothing to request: its page says how to pull it
            return ItemLinks(page)
        return ItemLinks(page, ((t(N_("Request access")), f"{page}#access"),))
    if kind == "expert":
        # no expert page: the action is a ticket to them, the project and title filled in
        question = t(N_("Question for %(name)s")) % {"name": title}
        query = urlencode({**of_project, "title": question})
        return ItemLinks(None, ((t(N_("Ask this expert")), f"/support/new?{query}"),))
    if kind == "course":
        return ItemLinks(
            f"/training#course-{_q(item_id)}", ((t(N_("Enrol")), f"/training#enrol-{_q(item_id)}"),)
        )
    if kind in ("incubator", "fund"):
        return ItemLinks(
            f"/partners#partner-{_q(item_id)}",
            ((t(N_("Ask for an introduction")), f"/partners#introduce-{_q(item_id)}"),),
        )
    if kind == "article":
        return ItemLinks(f"/support/articles/{_q(item_id)}")
    if kind == "partition":
        apply = urlencode(of_project)
        return ItemLinks(
            None,
            (
                (t(N_("Apply for hours")), "/applications/new" + (f"?{apply}" if apply else "")),
                (
                    t(N_("Submit a job")),
                    f"/jobs/new?{urlencode({**of_project, 'partition': item_id})}",
                ),
            ),
        )
    if kind == "mode":
        query = urlencode({**of_project, "mode": item_id})
        return ItemLinks(None, ((t(N_("Apply")), f"/applications/new?{query}"),))
    return ItemLinks(None)


# Headings of the groups of recommendations and search results, by kind.
KIND_LABELS = {
    "partition": N_("Partitions"),
    "dataset": N_("Datasets"),
    "model": N_("Models"),
    "expert": N_("Experts"),
    "course": N_("Courses"),
    "incubator": N_("Incubators"),
    "fund": N_("Funds"),
    "article": N_("Articles"),
}
