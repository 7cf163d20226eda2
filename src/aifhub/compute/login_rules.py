"""Which logins may be held on a cluster: the syntax, the names nobody may hold (root, system
and service accounts, the site's list) and, where this host submits the jobs, a Unix user of
this host. The rules hold whoever asks: a user, staff, an identity provider or a mapping file.
"""

from __future__ import annotations

import getpass
import os
import pwd
import re
from typing import Any

from aifhub.core.errors import InvalidInput, NotFound
from aifhub.core.i18n import N_, Text
from aifhub.resources import Cluster

LOGIN_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
LOGIN_RULE = (
    "a login is 1 to 32 characters: lower-case letters, digits, '_' and '-', starting with a "
    "letter or '_'"
)
# System and service accounts of common distributions, refused even where this host lacks them.
SYSTEM_LOGINS = frozenset(
    "root daemon bin sys sync games man lp mail news uucp proxy www-data backup list irc gnats "
    "nobody nogroup systemd-network systemd-resolve systemd-timesync messagebus syslog sshd "
    "_apt polkitd munge slurm slurmdbd slurmrestd mysql postgres admin administrator "
    "operator adm halt shutdown ftp nfsnobody".split()
)
SYSTEM_UID_MAX = 999
# Backends whose jobs this host cannot submit as a user it does not know (slurmrest submits
# over HTTP with the user's name: the cluster's own users decide).
REMOTE_USER_BACKENDS = frozenset({"slurmrest"})


UNCHECKED_NOTE = N_(
    "The platform cannot see the Unix users of cluster '%(cluster)s': a login is accepted as "
    "written, and a job submitted under a login the cluster does not know fails at once with "
    "the cluster's own error."
)


class LoginRefused(InvalidInput):
    """A login nobody may hold (syntax, root, a system or service account, the site's list)."""


class UnknownCluster(NotFound):
    """No enabled cluster by that name (the known ones are listed)."""

    type, title = "unknown-cluster", "Unknown cluster"


class NotAUnixUser(LoginRefused):
    """The login is no user of the host that submits the cluster's jobs."""


def platform_user() -> str:
    """The Unix user the platform runs as."""
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return getpass.getuser()


def cluster_login_rules(cluster: Cluster) -> dict[str, Any]:
    """The cluster's `[clusters.logins]` settings, as synced from the site file."""
    rules = (cluster.settings or {}).get("logins")
    return rules if isinstance(rules, dict) else {}


def requires_unix_user(cluster: Cluster) -> bool:
    """Whether a login must be a Unix user of this host (`logins.require_unix_user`)."""
    value = cluster_login_rules(cluster).get("require_unix_user")
    if isinstance(value, bool):
        return value
    return cluster.backend not in REMOTE_USER_BACKENDS


def unchecked_note(cluster: Cluster) -> str | None:
    """What staff must know where the platform cannot check that a login exists (else None)."""
    if requires_unix_user(cluster):
        return None
    return Text(UNCHECKED_NOTE, cluster=cluster.name)


def check_login(cluster: Cluster, login: str) -> None:
    """Refuse (422) a login that is malformed or reserved on this cluster, whoever asks."""
    if not LOGIN_RE.match(login):
        raise LoginRefused(
            Text(
                N_(
                    "'%(login)s' is not a valid login: a login is 1 to 32 characters: lower-case "
                    "letters, digits, '_' and '-', starting with a letter or '_'."
                ),
                login=login,
            ),
            field="login",
        )
    rules = cluster_login_rules(cluster)
    reserved = set(SYSTEM_LOGINS) | {platform_user(), str(rules.get("slurm_user") or "slurm")}
    reserved |= {str(x) for x in rules.get("reserved") or ()}
    system = login in reserved
    if not system:
        try:
            system = pwd.getpwnam(login).pw_uid <= SYSTEM_UID_MAX
        except KeyError:
            system = False
    if system:
        raise LoginRefused(
            Text(
                N_(
                    "'%(login)s' is a reserved or system account on '%(cluster)s' and is never "
                    "given to a user; use your personal login on that cluster."
                ),
                login=login,
                cluster=cluster.name,
            ),
            field="login",
        )


def check_unix_user(cluster: Cluster, login: str) -> None:
    """Refuse (422) a login this host does not know where this host submits the jobs."""
    if not requires_unix_user(cluster):
        return
    try:
        pwd.getpwnam(login)
    except KeyError:
        raise NotAUnixUser(
            Text(
                N_(
                    "'%(login)s' is not a user on the host that submits to cluster "
                    "'%(cluster)s': create the Unix user there first, or check the spelling."
                ),
                login=login,
                cluster=cluster.name,
            ),
            field="login",
        ) from None


def check_provable(cluster: Cluster, login: str) -> None:
    """Every rule a login must pass before it is approved or mapped."""
    check_login(cluster, login)
    check_unix_user(cluster, login)
