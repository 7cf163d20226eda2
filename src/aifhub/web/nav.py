"""The header navigation: which of the domains' entries a visitor sees (see docs/web.md).

The entries themselves are declared by each domain's module object (`NavItem` in
`aifhub.core.modules`) and reach the layout through the app's assembly.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from aifhub.core.modules import NavItem


class Viewer(Protocol):
    """What the navigation needs to know of the signed-in user."""

    @property
    def is_staff(self) -> bool: ...

    def has_role(self, *roles: str) -> bool: ...


def visible_nav(items: Iterable[NavItem], user: Viewer | None) -> list[NavItem]:
    """The entries this user may see, in order."""
    visible = []
    for item in items:
        if item.signed_in and user is None:
            continue
        if item.staff_only and (user is None or not user.is_staff):
            continue
        if item.staff_roles and (user is None or not user.has_role(*item.staff_roles)):
            continue
        visible.append(item)
    return sorted(visible, key=lambda i: i.order)
