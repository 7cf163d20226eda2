"""The application state machine: which action leads from which state to which, and who acts.

    draft --submit--> submitted --check--> checked --start_assessment--> technical_assessment
    technical_assessment --send_to_peer_review--> peer_review       (modes with a peer step)
    technical_assessment | peer_review --request_changes--> changes_requested
    changes_requested --resubmit--> submitted (checked again)
    checked | technical_assessment | peer_review --accept|reject--> accepted | rejected
    accepted --allocate--> allocated
    draft | submitted | checked | changes_requested --withdraw--> withdrawn

A submission that fails the eligibility check is refused (422 listing the failures) and the
application stays a draft: nothing to undo, the applicant fixes it and submits again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.access.errors import IllegalTransition
from aifhub.access.models import Application
from aifhub.core import audit
from aifhub.core.db import utcnow
from aifhub.schemas.enums.access import ApplicationState as S

TRANSITIONS: dict[str, dict[str, str]] = {
    S.DRAFT: {"submit": S.SUBMITTED, "withdraw": S.WITHDRAWN},
    S.SUBMITTED: {"check": S.CHECKED, "withdraw": S.WITHDRAWN},
    S.CHECKED: {
        "start_assessment": S.TECHNICAL_ASSESSMENT,
        "accept": S.ACCEPTED,
        "reject": S.REJECTED,
        "withdraw": S.WITHDRAWN,
    },
    S.TECHNICAL_ASSESSMENT: {
        "send_to_peer_review": S.PEER_REVIEW,
        "request_changes": S.CHANGES_REQUESTED,
        "accept": S.ACCEPTED,
        "reject": S.REJECTED,
    },
    S.PEER_REVIEW: {
        "request_changes": S.CHANGES_REQUESTED,
        "accept": S.ACCEPTED,
        "reject": S.REJECTED,
    },
    S.CHANGES_REQUESTED: {"resubmit": S.SUBMITTED, "withdraw": S.WITHDRAWN},
    S.ACCEPTED: {"allocate": S.ALLOCATED},
    S.REJECTED: {},
    S.ALLOCATED: {},
    S.WITHDRAWN: {},
}
ALL_STATES = [s.value for s in S]
APPLICANT_ACTIONS = {"submit", "resubmit", "withdraw"}
OPEN_STATES = [
    S.SUBMITTED.value,
    S.CHECKED.value,
    S.TECHNICAL_ASSESSMENT.value,
    S.PEER_REVIEW.value,
    S.CHANGES_REQUESTED.value,
]


def allowed_actions(state: str) -> list[str]:
    """The actions the state machine allows from a state."""
    return sorted(TRANSITIONS.get(state, {}))


def target_of(state: str, action: str) -> str:
    """The state an action leads to, or IllegalTransition naming the allowed actions."""
    targets = TRANSITIONS.get(state, {})
    if action not in targets:
        allowed = allowed_actions(state)
        raise IllegalTransition(
            f"An application in state '{state}' cannot '{action}'; "
            f"allowed: {', '.join(allowed) if allowed else 'none (final state)'}.",
            state=state,
            allowed=allowed,
        )
    return str(targets[action])


async def move(
    app: Application, action: str, *, session: AsyncSession, reason: str = "", **details: Any
) -> str:
    """Apply an action to an application (state change + audit row); returns the new state."""
    before = app.state
    after = target_of(before, action)
    app.state = after
    app.updated_at = utcnow()
    if reason:
        app.state_reason = reason
    await audit.record(
        session,
        f"application.{action}",
        "application",
        app.id,
        before=before,
        after=after,
        **({"reason": reason} if reason else {}),
        **details,
    )
    return after
