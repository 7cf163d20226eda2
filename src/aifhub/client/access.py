"""Access endpoints of the SDK: access modes, applications, reviews, allocations."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any

from aifhub.client.base import Resource, body
from aifhub.schemas.access import (
    AccessModeRead,
    AllocationRead,
    ApplicationRead,
    Dashboard,
    ReviewRead,
)
from aifhub.schemas.page import Page


def items_of(amounts: Mapping[str, Decimal | str | int]) -> list[dict[str, str]]:
    """Request items from {"cluster/partition": hours}."""
    return [{"partition": k, "amount": str(v)} for k, v in amounts.items()]


class AccessModes(Resource):
    """`client.access_modes`: the open calls and their rules."""

    def list(self) -> list[AccessModeRead]:
        """Every open access mode."""
        return self._call("GET", "/access-modes", list[AccessModeRead])

    def get(self, slug: str) -> AccessModeRead:
        """One access mode."""
        return self._call("GET", f"/access-modes/{slug}", AccessModeRead)


class Applications(Resource):
    """`client.applications`: apply, follow, revise, submit; staff assess and decide."""

    def list(
        self,
        *,
        project: str | None = None,
        mode: str | None = None,
        state: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[ApplicationRead]:
        """One page of visible applications, newest first."""
        params = {
            "project": project,
            "mode": mode,
            "state": state,
            "limit": limit,
            "offset": offset,
        }
        return self._call("GET", "/applications", Page[ApplicationRead], params=params)

    def iter(self, *, page_size: int = 200, **filters: Any) -> Iterator[ApplicationRead]:
        """Every visible application across pages."""
        return self._client.paginate(
            lambda limit, offset: self.list(limit=limit, offset=offset, **filters),
            page_size=page_size,
        )

    def get(self, app_id: int) -> ApplicationRead:
        """One application."""
        return self._call("GET", f"/applications/{app_id}", ApplicationRead)

    def create(
        self,
        *,
        project: str,
        mode: str,
        title: str,
        sector: str,
        duration_months: int,
        amounts: Mapping[str, Decimal | str | int],
        technical_description: str = "",
        datasets_models: str = "",
        fallback_partitions: Iterable[str] = (),
        kind: str = "new",
        allocation_id: int | None = None,
    ) -> ApplicationRead:
        """Draft an application (PI of the project)."""
        data = body(
            project=project,
            mode=mode,
            title=title,
            sector=sector,
            duration_months=duration_months,
            items=items_of(amounts),
            technical_description=technical_description,
            datasets_models=datasets_models,
            fallback_partitions=list(fallback_partitions),
            kind=kind,
            allocation_id=allocation_id,
        )
        return self._call("POST", "/applications", ApplicationRead, json=data)

    def update(self, app_id: int, **fields: Any) -> ApplicationRead:
        """Revise a draft; `amounts={"c/p": hours}` replaces the requested items."""
        if "amounts" in fields:
            fields["items"] = items_of(fields.pop("amounts"))
        return self._call("PATCH", f"/applications/{app_id}", ApplicationRead, json=body(**fields))

    def submit(self, app_id: int) -> ApplicationRead:
        """Submit or resubmit (the eligibility check runs at once)."""
        return self._call("POST", f"/applications/{app_id}/submit", ApplicationRead)

    def withdraw(self, app_id: int) -> ApplicationRead:
        """Withdraw before the assessment."""
        return self._call("POST", f"/applications/{app_id}/withdraw", ApplicationRead)

    def start_assessment(self, app_id: int) -> ApplicationRead:
        """Staff: open the technical assessment."""
        return self._call("POST", f"/applications/{app_id}/start-assessment", ApplicationRead)

    def send_to_peer_review(self, app_id: int) -> ApplicationRead:
        """Staff: open peer review."""
        return self._call("POST", f"/applications/{app_id}/peer-review", ApplicationRead)

    def request_changes(self, app_id: int, reason: str) -> ApplicationRead:
        """Staff: send back to the applicant."""
        path = f"/applications/{app_id}/request-changes"
        return self._call("POST", path, ApplicationRead, json={"reason": reason})

    def decide(
        self,
        app_id: int,
        outcome: str,
        reason: str,
        *,
        granted: Mapping[str, Decimal | str] | None = None,
        allocate: bool = True,
    ) -> ApplicationRead:
        """Staff: accept (possibly with reduced amounts) or reject."""
        data = {
            "outcome": outcome,
            "reason": reason,
            "granted": {k: str(v) for k, v in (granted or {}).items()},
            "allocate": allocate,
        }
        return self._call("POST", f"/applications/{app_id}/decision", ApplicationRead, json=data)

    def assign_reviewer(self, app_id: int, reviewer: str, step: str) -> ReviewRead:
        """Staff: ask a reviewer (e-mail) for a review at a step (technical or peer)."""
        data = {"reviewer": reviewer, "step": step}
        return self._call("POST", f"/applications/{app_id}/reviews", ReviewRead, json=data)

    def reviews(self, app_id: int) -> builtins.list[ReviewRead]:
        """Staff: the reviews of an application."""
        return self._call("GET", f"/applications/{app_id}/reviews", list[ReviewRead])


class Reviews(Resource):
    """`client.reviews`: one's review queue."""

    def list(self, *, state: str | None = None) -> list[ReviewRead]:
        """One's reviews (assigned, submitted, conflict)."""
        return self._call("GET", "/reviews", list[ReviewRead], params={"state": state})

    def submit(self, review_id: int, scores: Mapping[str, int], comment: str) -> ReviewRead:
        """Submit scores 1-5 per criterion and a comment."""
        data = {"scores": dict(scores), "comment": comment}
        return self._call("POST", f"/reviews/{review_id}/submit", ReviewRead, json=data)

    def declare_conflict(self, review_id: int, reason: str) -> ReviewRead:
        """Decline for a conflict of interest."""
        path = f"/reviews/{review_id}/conflict"
        return self._call("POST", path, ReviewRead, json={"reason": reason})


class Allocations(Resource):
    """`client.allocations`: granted hours and their balances."""

    def list(
        self,
        *,
        project: str | None = None,
        state: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[AllocationRead]:
        """One page of visible allocations."""
        params = {"project": project, "state": state, "limit": limit, "offset": offset}
        return self._call("GET", "/allocations", Page[AllocationRead], params=params)

    def get(self, allocation_id: int) -> AllocationRead:
        """One allocation with its balance."""
        return self._call("GET", f"/allocations/{allocation_id}", AllocationRead)

    def dashboard(self) -> Dashboard:
        """Staff: time-to-access per mode."""
        return self._call("GET", "/staff/access-dashboard", Dashboard)
