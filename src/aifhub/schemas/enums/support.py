"""Support's wire values: ticket states, categories and priorities."""

from __future__ import annotations

from enum import StrEnum


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
