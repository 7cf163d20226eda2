"""Ecosystem endpoints of the SDK: training courses, incubators and funds, job offers."""

from __future__ import annotations

import builtins

from aifhub.client.base import Resource
from aifhub.schemas.ecosystem import (
    CourseRead,
    EnrolmentRead,
    IntroductionRead,
    OfferRead,
    PartnerRead,
)


class Courses(Resource):
    """`client.courses`: courses, their sessions, enrolments and waiting lists."""

    def list(self, *, q: str | None = None, upcoming_only: bool = True) -> list[CourseRead]:
        """Courses with their (upcoming) sessions and seats taken."""
        params = {"q": q, "upcoming_only": "true" if upcoming_only else "false"}
        return self._call("GET", "/training/courses", list[CourseRead], params=params)

    def get(self, slug: str, *, upcoming_only: bool = False) -> CourseRead:
        """One course with its sessions (all of them unless `upcoming_only`)."""
        params = {"upcoming_only": "true" if upcoming_only else "false"}
        return self._call("GET", f"/training/courses/{slug}", CourseRead, params=params)

    def enrol(self, session_id: int) -> EnrolmentRead:
        """Enrol in a session: a seat, or the waiting list when it is full."""
        path = f"/training/sessions/{session_id}/enrolments"
        return self._call("POST", path, EnrolmentRead)

    def cancel(self, enrolment_id: int) -> EnrolmentRead:
        """Cancel an enrolment; the first person waiting takes the seat."""
        return self._call("POST", f"/training/enrolments/{enrolment_id}/cancel", EnrolmentRead)

    def my_enrolments(self) -> builtins.list[EnrolmentRead]:
        """One's enrolments, with waiting-list positions."""
        return self._call("GET", "/training/enrolments", list[EnrolmentRead])

    def roster(self, session_id: int) -> builtins.list[EnrolmentRead]:
        """Training staff: who is enrolled and waiting on a session."""
        path = f"/training/sessions/{session_id}/roster"
        return self._call("GET", path, list[EnrolmentRead])


class Partners(Resource):
    """`client.partners`: incubators and funds, and introductions to them."""

    def list(
        self,
        *,
        kind: str | None = None,
        sector: str | None = None,
        stage: str | None = None,
        country: str | None = None,
    ) -> list[PartnerRead]:
        """Incubators and funds, filtered."""
        params = {"kind": kind, "sector": sector, "stage": stage, "country": country}
        return self._call("GET", "/partners", list[PartnerRead], params=params)

    def get(self, slug: str) -> PartnerRead:
        """One incubator or fund."""
        return self._call("GET", f"/partners/{slug}", PartnerRead)

    def request_introduction(self, slug: str, *, organisation: str, pitch: str) -> IntroductionRead:
        """Ask for an introduction for one of one's startups, with a short pitch."""
        data = {"organisation": organisation, "pitch": pitch}
        path = f"/partners/{slug}/introductions"
        return self._call("POST", path, IntroductionRead, json=data)

    def introductions(self, *, state: str | None = None) -> builtins.list[IntroductionRead]:
        """Introductions one can see (one's organisations', all for staff)."""
        params = {"state": state}
        return self._call("GET", "/introductions", list[IntroductionRead], params=params)


class Offers(Resource):
    """`client.offers`: the talent board's open job and internship offers."""

    def list(self, *, kind: str | None = None) -> list[OfferRead]:
        """Open offers (job or internship)."""
        return self._call("GET", "/talent/offers", list[OfferRead], params={"kind": kind})
