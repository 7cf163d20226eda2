"""Identity e-mails: invitations, address verification, password reset and change (core/mail)."""

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
    urgent=True,
    # The token's tail: a new link (a new token) is a new mail, the same link is not queued twice.
    key="user.verify_email:{user.id}:{token_tail}",
    subject="Confirm your e-mail address",
    body="Hello {user.name},\n\nConfirm that {user.email} is your address by opening this"
    " link within {hours} hours:\n\n{link}\n\nThe link works once. If you did"
    " not create an account, ignore this message: nothing happens without it.\n",
)
PASSWORD_RESET = MailTemplate(
    kind="user.password_reset",
    urgent=True,
    key="user.password_reset:{reset.id}",
    subject="Reset your password",
    body="Hello {user.name},\n\nSomeone (we hope you) asked to reset the password of the"
    " account {user.email}. Choose a new password by opening this link within {minutes}"
    " minutes:\n\n{link}\n\nThe link works once; a newer link replaces it. If you did not"
    " ask, ignore this message: your password stays as it is.\n",
)
REGISTER_EXISTING = MailTemplate(
    kind="user.register_existing",
    urgent=True,
    key="user.register_existing:{reset.id}",
    subject="Someone tried to create an account with your address",
    body="Hello {user.name},\n\nSomeone tried to create a new account with your address"
    " {user.email}, which already has an account here. Nothing was changed.\n\nIf it was"
    " you and you forgot your password, choose a new one with this link within {minutes}"
    " minutes:\n\n{link}\n\nOtherwise, ignore this message; you can sign in as before.\n",
)
PASSWORD_CHANGED = MailTemplate(
    kind="user.password_changed",
    key="user.password_changed:{user.id}:{stamp}",
    subject="Your password was changed",
    body="Hello {user.name},\n\nThe password of your account {user.email} was changed"
    " ({how}). Every other browser signed in to the account was signed out.\n\nIf you did"
    " not do this, reset your password at once and tell the factory's staff:\n\n{link}\n",
)
