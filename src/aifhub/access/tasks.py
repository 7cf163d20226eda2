"""Background work of the access domain, and the delivery of the shared mail outbox."""

from __future__ import annotations

from aifhub.core.mail import deliver_mail
from aifhub.worker import Periodic

# The outbox is shared by every domain; it is drained here because every installation has
# the access domain (one task, whoever queued the mail).
PERIODIC = [
    Periodic("mail.deliver", 30.0, deliver_mail),
]
