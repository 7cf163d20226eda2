"""Password reset by a mailed link, password change, and registration that reveals no account."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select, update

from aifhub.core.db import make_sessionmaker, utcnow
from aifhub.core.mail import MailMessage, deliver_pending
from aifhub.identity import registration, service
from aifhub.identity.models import PasswordReset, User, WebSession
from aifhub.identity.service import get_user_by_email

from ..factories import PASSWORD, make_user
from ..web.helpers import HTML, csrf_of, login

RESET_LINK = re.compile(r"https?://\S+/password/reset\?token=(\S+)")
NEW = "a brand new passphrase"


async def _forgot(client, email: str):
    page = await client.get("/password/forgot")
    assert page.status_code == 200
    return await client.post(
        "/password/forgot", data={"email": email, "csrf_token": csrf_of(page.text)}
    )


async def _inbox(engine, smtp_server, address: str) -> list:
    """Deliver the outbox to the real SMTP server; the messages `address` received."""
    inbox, cfg = smtp_server
    await deliver_pending(make_sessionmaker(engine), cfg, now=utcnow() + timedelta(minutes=10))
    return inbox.to(address)


def _body(message) -> str:
    return message.get_payload(decode=True).decode()


def _tokens(messages) -> list[str]:
    return [m.group(1) for msg in messages for m in RESET_LINK.finditer(_body(msg))]


async def _queued_token(db, address: str) -> str:
    """The token of the newest reset link queued for `address` (read from the outbox)."""
    await db.commit()
    bodies = list(
        await db.scalars(
            select(MailMessage.body)
            .where(MailMessage.recipient == address)
            .order_by(MailMessage.id.desc())
        )
    )
    for body in bodies:
        found = RESET_LINK.search(body)
        if found:
            return found.group(1)
    raise AssertionError(f"no reset link to {address}: {bodies}")


async def _reset(client, token: str, password: str = NEW, password2: str | None = None):
    page = await client.get(f"/password/reset?token={token}", headers=HTML)
    csrf = csrf_of(page.text) if 'name="csrf_token"' in page.text else ""
    if not csrf:
        csrf = csrf_of((await client.get("/password/forgot")).text)
    return await client.post(
        "/password/reset",
        data={
            "token": token,
            "password": password,
            "password2": password if password2 is None else password2,
            "csrf_token": csrf,
        },
    )


async def _can_sign_in(client, email: str, password: str) -> bool:
    client.cookies.clear()
    page = await client.get("/login")
    r = await client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_of(page.text)}
    )
    return r.status_code == 303


async def test_sign_in_page_links_to_the_reset_form(client, db):
    page = await client.get("/login")
    assert 'href="/password/forgot"' in page.text and "Forgot your password?" in page.text
    fr = await client.get("/password/forgot", headers={"accept-language": "fr-FR"})
    assert "Mot de passe oublié ?" in fr.text


async def test_the_answer_is_the_same_whether_the_account_exists(client, db, engine, smtp_server):
    await make_user(db, "ada@lab.eu")
    known = await _forgot(client, "ada@lab.eu")
    unknown = await _forgot(client, "nobody@lab.eu")
    assert known.status_code == unknown.status_code == 200
    assert "If an account exists for ada@lab.eu, we sent a link" in known.text
    assert known.text.replace("ada@lab.eu", "X") == unknown.text.replace("nobody@lab.eu", "X")
    assert dict(known.headers).keys() == dict(unknown.headers).keys()
    await db.commit()
    kinds = list(await db.scalars(select(MailMessage.recipient)))
    assert kinds == ["ada@lab.eu"]
    # Only a hash of the token is kept.
    [digest] = list(await db.scalars(select(PasswordReset.digest)))
    [token] = _tokens(await _inbox(engine, smtp_server, "ada@lab.eu"))
    assert token not in digest and len(digest) == 64


async def test_reset_mail_says_what_to_do(client, db, engine, smtp_server):
    await make_user(db, "ada@lab.eu", name="Ada Lovelace")
    await _forgot(client, "ADA@lab.eu")
    [mail] = await _inbox(engine, smtp_server, "ada@lab.eu")
    assert mail["Subject"].endswith("Reset your password")
    body = _body(mail)
    assert "Hello Ada Lovelace" in body
    assert "within 60 minutes" in body and "The link works once" in body
    assert "If you did not ask, ignore this message" in body
    assert RESET_LINK.search(body)


async def test_a_link_works_once_and_signs_out_every_browser(client, db):
    await make_user(db, "ada@lab.eu")
    await login(client, "ada@lab.eu")
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(WebSession)) == 1
    client.cookies.clear()
    await _forgot(client, "ada@lab.eu")
    token = await _queued_token(db, "ada@lab.eu")
    form = await client.get(f"/password/reset?token={token}", headers=HTML)
    assert form.status_code == 200 and 'name="password2"' in form.text
    r = await _reset(client, token)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(WebSession)) == 0
    again = await _reset(client, token, "yet another passphrase")
    assert again.status_code == 400 and "not valid any more" in again.text
    assert (await client.get(f"/password/reset?token={token}", headers=HTML)).status_code == 400
    assert not await _can_sign_in(client, "ada@lab.eu", PASSWORD)
    assert await _can_sign_in(client, "ada@lab.eu", NEW)
    changed = list(
        await db.scalars(
            select(MailMessage.body).where(MailMessage.kind == "user.password_changed")
        )
    )
    assert len(changed) == 1 and "with a reset link" in changed[0]


async def test_an_expired_link_is_refused(client, db):
    await make_user(db, "ada@lab.eu")
    await _forgot(client, "ada@lab.eu")
    token = await _queued_token(db, "ada@lab.eu")
    await db.execute(update(PasswordReset).values(expires_at=utcnow() - timedelta(seconds=1)))
    await db.commit()
    r = await _reset(client, token)
    assert r.status_code == 400 and "not valid any more" in r.text
    assert await _can_sign_in(client, "ada@lab.eu", PASSWORD)


async def test_a_newer_link_spends_the_older_one(client, db):
    await make_user(db, "ada@lab.eu")
    await _forgot(client, "ada@lab.eu")
    first = await _queued_token(db, "ada@lab.eu")
    await _forgot(client, "ada@lab.eu")
    second = await _queued_token(db, "ada@lab.eu")
    assert first != second
    assert (await _reset(client, first)).status_code == 400
    assert (await _reset(client, second)).status_code == 303


async def test_a_password_change_spends_the_link(client, db):
    await make_user(db, "ada@lab.eu")
    await _forgot(client, "ada@lab.eu")
    token = await _queued_token(db, "ada@lab.eu")
    csrf = await login(client, "ada@lab.eu")
    r = await client.post(
        "/account/password",
        data={
            "csrf_token": csrf,
            "current_password": PASSWORD,
            "password": NEW,
            "password2": NEW,
        },
    )
    assert r.status_code == 303
    client.cookies.clear()
    assert (await _reset(client, token, "a third passphrase")).status_code == 400


async def test_the_new_password_follows_the_registration_rules(client, db):
    await make_user(db, "ada@lab.eu")
    await _forgot(client, "ada@lab.eu")
    token = await _queued_token(db, "ada@lab.eu")
    short = await _reset(client, token, "short")
    assert short.status_code == 422 and "This field is too short." in short.text
    differ = await _reset(client, token, NEW, "something else entirely")
    assert differ.status_code == 422 and "The two passwords differ." in differ.text
    # The refused tries did not spend the link.
    assert (await _reset(client, token)).status_code == 303


async def test_requests_are_throttled_per_address_alike_for_unknown_ones(client, db):
    await make_user(db, "ada@lab.eu")
    for email in ("ada@lab.eu", "nobody@lab.eu"):
        for _ in range(3):
            assert (await _forgot(client, email)).status_code == 200
        r = await _forgot(client, email)
        assert r.status_code == 429 and "Too many password-reset requests" in r.text
        assert int(r.headers["retry-after"]) > 0
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(PasswordReset)) == 3


async def test_reset_verifies_the_address_it_was_mailed_to(client, db):
    await make_user(db, "ada@lab.eu", verified=False)
    await _forgot(client, "ada@lab.eu")
    assert (await _reset(client, await _queued_token(db, "ada@lab.eu"))).status_code == 303
    await db.commit()
    user = await get_user_by_email(db, "ada@lab.eu")
    assert user is not None
    await db.refresh(user)
    assert user.email_verified
    assert await _can_sign_in(client, "ada@lab.eu", NEW)


# ---------------------------------------------------------------- change from the account page


async def test_change_needs_the_current_password_and_ends_other_sessions(
    client, db, engine, smtp_server
):
    await make_user(db, "ada@lab.eu", name="Ada")
    other = await login(client, "ada@lab.eu")
    other_cookies = dict(client.cookies)
    csrf = await login(client, "ada@lab.eu")
    account = await client.get("/account", headers=HTML)
    assert 'action="/account/password"' in account.text
    wrong = await client.post(
        "/account/password",
        data={"csrf_token": csrf, "current_password": "not my password", "password": NEW,
              "password2": NEW},
    )  # fmt: skip
    assert wrong.status_code == 422 and "This is not your current password." in wrong.text
    r = await client.post(
        "/account/password",
        data={"csrf_token": csrf, "current_password": PASSWORD, "password": NEW, "password2": NEW},
    )
    assert r.status_code == 303 and r.headers["location"] == "/account"
    # This browser stays signed in; the other one is out.
    assert (await client.get("/account", headers=HTML)).status_code == 200
    client.cookies.clear()
    client.cookies.update(other_cookies)
    assert (await client.get("/account", headers=HTML)).status_code == 303
    assert other
    assert await _can_sign_in(client, "ada@lab.eu", NEW)
    [mail] = await _inbox(engine, smtp_server, "ada@lab.eu")
    assert mail["Subject"].endswith("Your password was changed")
    body = _body(mail)
    assert "from the account page" in body and "/password/forgot" in body


async def test_change_is_refused_in_french_too(client, db):
    user = await make_user(db, "ada@lab.eu")
    user.locale = "fr"
    await db.commit()
    csrf = await login(client, "ada@lab.eu")
    r = await client.post(
        "/account/password",
        data={"csrf_token": csrf, "current_password": "wrong one", "password": NEW,
              "password2": "other"},
    )  # fmt: skip
    assert r.status_code == 422 and "Les deux mots de passe diffèrent." in r.text
    assert "Changer mon mot de passe" in r.text


# ---------------------------------------------------------------- registration


async def _register(client, email: str, name: str = "Someone"):
    page = await client.get("/register")
    return await client.post(
        "/register",
        data={
            "name": name,
            "email": email,
            "password": "a long password",
            "password2": "a long password",
            "csrf_token": csrf_of(page.text),
        },
    )


async def test_registering_a_taken_address_answers_like_a_new_one(
    client, db, engine, smtp_server, monkeypatch
):
    await make_user(db, "ada@lab.eu", name="Ada")
    hashes: list[str] = []
    real = registration.hash_password

    def counting(password: str) -> str:
        hashes.append(password)
        return real(password)

    monkeypatch.setattr(registration, "hash_password", counting)
    monkeypatch.setattr(service, "hash_password", counting)
    taken = await _register(client, "ada@lab.eu")
    assert len(hashes) == 1  # the same work as creating an account
    fresh = await _register(client, "new@lab.eu")
    assert len(hashes) == 2
    assert taken.status_code == fresh.status_code == 200
    assert "Check your mailbox" in taken.text
    assert taken.text.replace("ada@lab.eu", "X") == fresh.text.replace("new@lab.eu", "X")
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(User)) == 2
    ada = await get_user_by_email(db, "ada@lab.eu")
    assert ada is not None and ada.name == "Ada"  # nothing changed
    # The owner hears of it, with a link to reset the password that works.
    [mail] = await _inbox(engine, smtp_server, "ada@lab.eu")
    assert "tried to create an account" in mail["Subject"]
    body = _body(mail)
    assert "Nothing was changed" in body
    [token] = _tokens([mail])
    assert (await _reset(client, token)).status_code == 303
    assert await _can_sign_in(client, "ada@lab.eu", NEW)
    # The newcomer got a verification link instead.
    [welcome] = await _inbox(engine, smtp_server, "new@lab.eu")
    assert "Confirm your e-mail address" in welcome["Subject"]
