"""What browser tests do the way a person does: read a mailed link, register and confirm."""

from __future__ import annotations

import re
import sqlite3

import pytest

DEMO_PASSWORD = "demo-password"

# The path of the link each kind of mail carries.
LINKS = {
    "user.verify_email": r"/account/verify-email\?token=\S+",
    "user.password_reset": r"/password/reset\?token=\S+",
}


def mailed_link(tmp_path_factory: pytest.TempPathFactory, to: str, kind: str, url: str) -> str:
    """The newest link of this kind mailed to `to` by the live server (it has no mail server:
    its outbox keeps the message), pointed at the server's real address."""
    for var in tmp_path_factory.getbasetemp().glob("live*"):
        db = var / "aifhub.db"
        if not db.exists():
            continue
        with sqlite3.connect(db) as conn:
            rows = conn.execute(
                "SELECT body FROM mail_messages WHERE recipient = ? AND kind = ? ORDER BY id DESC",
                (to, kind),
            ).fetchall()
        for (body,) in rows:
            found = re.search(r"https?://[^/\s]+(" + LINKS[kind] + ")", body)
            if found:
                return url + found.group(1)
    raise AssertionError(f"no {kind} mail to {to}")


def sign_in(page, url: str, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the page's form; the dashboard is open after."""
    page.goto(f"{url}/login")
    page.fill("#f-email", email)
    page.fill("#f-password", password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{url}/")


def register_and_sign_in(
    page,
    url: str,
    tmp_path_factory: pytest.TempPathFactory,
    *,
    name: str,
    email: str,
    password: str,
) -> None:
    """Register, open the mailed confirmation link, sign in: the newcomer's first minute."""
    page.goto(f"{url}/register")
    page.fill("#f-name", name)
    page.fill("#f-email", email)
    page.fill("#f-password", password)
    page.fill("#f-password2", password)
    page.click("form[action='/register'] button[type=submit]")
    page.wait_for_selector("#register-sent")
    page.goto(mailed_link(tmp_path_factory, email, "user.verify_email", url))
    page.wait_for_url(f"{url}/login")
    sign_in(page, url, email, password)
