"""What may happen next to an application, and who acts: one rule for pages, API and services.

`refusal(progress, action)` says why an action is refused now (None when it is accepted); the
services raise it, and `offered(progress)` lists the actions it accepts, so a page or the API
never offers an action that a service then refuses. `next_step(progress)` names who acts next
(the applicant, the factory's staff, reviewers, the director) and what they do, for the
sentence an applicant reads and the button staff press.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aifhub.access import workflow
from aifhub.access.errors import IllegalTransition, ReviewsMissing
from aifhub.access.modes import ModeSpec
from aifhub.core.errors import AppError, Conflict
from aifhub.schemas.enums.access import ApplicationState as S

# The application states in which each step's reviews are assigned, and submitted.
ASSIGN_IN = {
    "technical": (S.CHECKED.value, S.TECHNICAL_ASSESSMENT.value),
    "peer": (S.TECHNICAL_ASSESSMENT.value, S.PEER_REVIEW.value),
}
SUBMIT_IN = {"technical": S.TECHNICAL_ASSESSMENT.value, "peer": S.PEER_REVIEW.value}

# Staff actions beyond the state machine's transitions: assigning a reviewer at a step.
ASSIGN_ACTIONS = {"assign_technical": "technical", "assign_peer": "peer"}
# Every action the rule knows, in the order a page shows them (the next step first).
ACTIONS = [
    "submit",
    "resubmit",
    "start_assessment",
    "assign_technical",
    "send_to_peer_review",
    "assign_peer",
    "accept",
    "reject",
    "request_changes",
    "allocate",
    "withdraw",
]
STAFF_ACTIONS = [a for a in ACTIONS if a not in workflow.APPLICANT_ACTIONS]


@dataclass(frozen=True)
class Progress:
    """An application's state under its mode, with its submitted reviews per step."""

    state: str
    spec: ModeSpec
    submitted: dict[str, int] = field(default_factory=dict)

    def missing(self, step: str) -> int:
        """Submitted reviews still needed at a step."""
        return max(self.spec.needs(step) - self.submitted.get(step, 0), 0)


def _reviews_missing(p: Progress, step: str) -> AppError | None:
    need, have = p.spec.needs(step), p.submitted.get(step, 0)
    if have >= need:
        return None
    return ReviewsMissing(
        f"{p.spec.name} needs {need} submitted {step} review(s) here; {have} so far. "
        "Assign reviewers and wait for their reviews.",
        needed=need,
        submitted=have,
    )


def _assign_refusal(p: Progress, step: str) -> AppError | None:
    if not p.spec.has_step(step):
        steps = ", ".join(s.step for s in p.spec.review_steps) or "none"
        return Conflict(f"{p.spec.name} has no {step} review; its review steps: {steps}.")
    if p.state not in ASSIGN_IN[step]:
        states = ", ".join(ASSIGN_IN[step])
        return Conflict(
            f"{step.title()} reviewers are assigned while the application is {states}; "
            f"it is {p.state}."
        )
    return None


def _decision_refusal(p: Progress) -> AppError | None:
    spec = p.spec
    if p.state == S.CHECKED and spec.review_steps:
        return ReviewsMissing(
            f"{spec.name} applications are assessed before a decision; start the assessment first.",
            needed=spec.review_steps[0].min_reviews,
            submitted=0,
        )
    if p.state == S.TECHNICAL_ASSESSMENT:
        if spec.has_step("peer"):
            return ReviewsMissing(
                f"{spec.name} applications go to peer review before a decision; "
                "send it to peer review.",
                needed=spec.needs("peer"),
                submitted=0,
            )
        return _reviews_missing(p, "technical")
    if p.state == S.PEER_REVIEW:
        return _reviews_missing(p, "peer")
    return None


def refusal(p: Progress, action: str) -> AppError | None:
    """Why the action is refused in this state of this mode with these reviews (None: accepted).

    Who acts (the PI, staff, the director) is checked by the services, not here.
    """
    if action in ASSIGN_ACTIONS:
        return _assign_refusal(p, ASSIGN_ACTIONS[action])
    try:
        workflow.target_of(p.state, action)
    except IllegalTransition as exc:
        return exc
    if action == "send_to_peer_review":
        if not p.spec.has_step("peer"):
            return IllegalTransition(
                f"{p.spec.name} has no peer review; decide after the technical assessment.",
                state=p.state,
                allowed=[a for a in ACTIONS if a != action and refusal(p, a) is None],
            )
        return _reviews_missing(p, "technical")
    if action in ("accept", "reject"):
        return _decision_refusal(p)
    return None


def check(p: Progress, action: str) -> None:
    """Raise the refusal of an action, if any (409 saying what to do instead)."""
    error = refusal(p, action)
    if error is not None:
        raise error


def offered(p: Progress) -> list[str]:
    """The actions accepted now (the state's transitions the mode and reviews allow too)."""
    return [a for a in ACTIONS if refusal(p, a) is None]


@dataclass(frozen=True)
class NextStep:
    """Who acts next on an application, doing what, and by when.

    actor: "applicant", "staff", "reviewers" or "director"; none when nobody has to act.
    what: "submit", "revise", "start_assessment", "technical_review", "peer_review",
    "send_to_peer_review", "decide", "allocate", "compute".
    have/need: reviews submitted and needed at the step under review.
    action: the staff action that moves it on (the page's main button), if staff act.
    """

    actor: str
    what: str
    have: int = 0
    need: int = 0
    action: str | None = None


def next_step(p: Progress) -> NextStep | None:
    """Who acts next and what they do (None once the application is closed)."""
    spec, state = p.spec, p.state
    decider = "director" if spec.decider_role == "admin" else "staff"
    if state == S.DRAFT:
        return NextStep("applicant", "submit")
    if state == S.CHANGES_REQUESTED:
        return NextStep("applicant", "revise")
    if state in (S.SUBMITTED, S.CHECKED):
        # `submitted` lasts only until the checks run, in the same transaction: no button.
        checked = state == S.CHECKED
        if spec.review_steps:
            return NextStep(
                "staff", "start_assessment", action="start_assessment" if checked else None
            )
        return NextStep(decider, "decide", action="accept" if checked else None)
    if state == S.TECHNICAL_ASSESSMENT:
        missing = p.missing("technical")
        if missing:
            return NextStep(
                "reviewers",
                "technical_review",
                p.submitted.get("technical", 0),
                spec.needs("technical"),
                action="assign_technical",
            )
        if spec.has_step("peer"):
            return NextStep("staff", "send_to_peer_review", action="send_to_peer_review")
        return NextStep(decider, "decide", action="accept")
    if state == S.PEER_REVIEW:
        if p.missing("peer"):
            return NextStep(
                "reviewers",
                "peer_review",
                p.submitted.get("peer", 0),
                spec.needs("peer"),
                action="assign_peer",
            )
        return NextStep(decider, "decide", action="accept")
    if state == S.ACCEPTED:
        return NextStep("staff", "allocate", action="allocate")
    if state == S.ALLOCATED:
        return NextStep("applicant", "compute")
    return None
