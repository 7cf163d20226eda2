"""Ecosystem e-mails: introductions to partners and training enrolments (core/mail outbox)."""

from __future__ import annotations

from aifhub.core.mail import MailTemplate

INTRODUCTION_REQUESTED = MailTemplate(
    kind="ecosystem.introduction_requested",
    key="introduction:{intro.id}:requested",
    subject="Introduction request from {org.name}",
    body="{org.name} asks for an introduction to {partner.name}:\n\n{pitch}",
)
INTRODUCTION_DECIDED = MailTemplate(
    kind="ecosystem.introduction_decided",
    key="introduction:{intro.id}:decided",
    subject="{partner.name} {intro.state} your introduction request",
    body="{partner.name} {intro.state} your request.{note}",
)
# One template per enrolment state: the kind, the key and the wording all follow the state.
ENROLLED = MailTemplate(
    kind="training.enrolled",
    key="enrolment:{enrolment.id}:enrolled:{stamp}",
    subject="You are enrolled in {title} ({cs.starts_at:%Y-%m-%d})",
    body="You are enrolled in {title}, {cs.format} session starting"
    " {cs.starts_at:%Y-%m-%d %H:%M} UTC.",
)
WAITLISTED = MailTemplate(
    kind="training.waitlisted",
    key="enrolment:{enrolment.id}:waitlisted:{stamp}",
    subject="You are on the waiting list of {title} ({cs.starts_at:%Y-%m-%d})",
    body="You are on the waiting list of {title}, {cs.format} session starting"
    " {cs.starts_at:%Y-%m-%d %H:%M} UTC.",
)
PROMOTED = MailTemplate(
    kind="training.promoted",
    key="enrolment:{enrolment.id}:promoted:{stamp}",
    subject="A seat freed up: you are enrolled ({cs.starts_at:%Y-%m-%d})",
    body="A seat freed up on the session you were waiting for: you are now enrolled.",
)
