"""The sign-in redirect of pages: `LoginRequired`, and the local paths it may come back to.

Who is browsing (`PageUser` and the other page dependencies) is identity's:
`aifhub.identity.page_deps`.
"""

from __future__ import annotations

from urllib.parse import quote


class LoginRequired(Exception):
    """Raised for an anonymous visitor of a page that needs a user: a 303 to /login."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def login_url(next_url: str | None) -> str:
    """The sign-in page, coming back to `next_url` afterwards."""
    if not next_url or next_url == "/":
        return "/login"
    return f"/login?next={quote(next_url, safe='/')}"


def safe_next(value: str | None) -> str:
    """A local path to go back to (never another site)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value
