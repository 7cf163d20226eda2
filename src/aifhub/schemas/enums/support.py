"""Support's wire values: ticket states, categories and priorities."""

from __future__ import annotations

from enum import StrEnum

from aifhub.schemas.enums.labels import N_, Labels


class TicketState(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    WAITING_ON_USER = "waiting_on_user"
    RESOLVED = "resolved"
    CLOSED = "closed"


class TicketCategory(StrEnum):
    ACCESS = "access"
    COMPUTE = "compute"
    DATA = "data"
    MODELS = "models"
    PERFORMANCE = "performance"
    TRAINING = "training"
    OTHER = "other"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


OPEN_STATES = (TicketState.NEW.value, TicketState.ASSIGNED.value, TicketState.WAITING_ON_USER.value)


LABELS: Labels = {
    TicketState: {
        TicketState.NEW: N_("new"),
        TicketState.ASSIGNED: N_("assigned"),
        TicketState.WAITING_ON_USER: N_("waiting on user"),
        TicketState.RESOLVED: N_("resolved"),
        TicketState.CLOSED: N_("closed"),
    },
    TicketCategory: {
        TicketCategory.ACCESS: N_("access"),
        TicketCategory.COMPUTE: N_("compute"),
        TicketCategory.DATA: N_("data"),
        TicketCategory.MODELS: N_("models"),
        TicketCategory.PERFORMANCE: N_("performance"),
        TicketCategory.TRAINING: N_("training"),
        TicketCategory.OTHER: N_("other"),
    },
    Priority: {
        Priority.LOW: N_("low"),
        Priority.NORMAL: N_("normal"),
        Priority.HIGH: N_("high"),
        Priority.URGENT: N_("urgent"),
    },
}
