"""The main navigation: a list every domain appends its entries to (see docs/web.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from aifhub.core.i18n import N_

if TYPE_CHECKING:
    from aifhub.identity.models import User
    from aifhub.web.deps import UserView


@dataclass(frozen=True)
class NavItem:
    """One entry of the header navigation; `label` is an English msgid marked with N_()."""

    label: str
    url: str
    staff_only: bool = False
    staff_roles: tuple[str, ...] = ()  # any of these roles (empty: any staff role)
    signed_in: bool = True
    order: int = 100


NAV: list[NavItem] = [
    NavItem(N_("Dashboard"), "/", order=10),
    NavItem(N_("Projects"), "/projects", order=20),
    NavItem(N_("Organisations"), "/organisations", order=30),
    NavItem(N_("Audit log"), "/staff/audit", staff_only=True, order=900),
    NavItem(N_("Users"), "/staff/users", staff_only=True, staff_roles=("admin",), order=910),
]


def visible_nav(user: User | UserView | None) -> list[NavItem]:
    """The entries this user may see, in order."""
    items = []
    for item in NAV:
        if item.signed_in and user is None:
            continue
        if item.staff_only and (user is None or not user.is_staff):
            continue
        if item.staff_roles and (user is None or not user.has_role(*item.staff_roles)):
            continue
        items.append(item)
    return sorted(items, key=lambda i: i.order)
