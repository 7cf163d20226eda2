"""Identity e-mails: invitations to an organisation and address verification (core/mail outbox)."""

from __future__ import annotations

from aifhub.core.mail import MailTemplate

INVITATION = MailTemplate(
    kind="org.invite",
    key="org.invite:{inv.id}",
    subject="Invitation to join {org.name}",
    body="{actor.name} invites you to join {org.name} as {inv.role}.\n\nSign in (or create"
    " an account) with this address, {to}, confirm the address with the link we"
    " send, and accept the invitation on your dashboard. It expires in"
    " {days} days.\n",
)
VERIFY_EMAIL = MailTemplate(
    kind="user.verify_email",
    # The token's tail: a new link (a new token) is a new mail, the same link is not queued twice.
    key="user.verify_email:{user.id}:{token_tail}",
    subject="Confirm your e-mail address",
    body="Hello {user.name},\n\nConfirm that {user.email} is your address by opening this"
    " link within {hours} hours:\n\n{link}\n\nThe link works once. If you did"
    " not create an account, ignore this message: nothing happens without it.\n",
)
