"""E-mail ownership: an address is trusted only once its owner proved it.

The attack: Mallory registers victim@ before the victim does. Today she accepts the victim's
invitations, and the victim's first federated sign-in links to the account she holds the
password of, with the staff roles mapped from the victim's claims.
"""

from __future__ import annotations

import re
import types
from datetime import timedelta

import httpx
import itsdangerous.timed
import pytest
from sqlalchemy import func, select

from aifhub.core.db import make_sessionmaker, utcnow
from aifhub.core.errors import InvalidInput
from aifhub.core.mail import MailMessage, deliver_pending
from aifhub.identity import verification
from aifhub.identity.models import ApiToken, ExternalIdentity, OrgMembership, User
from aifhub.identity.service import get_user_by_email

from ..factories import PASSWORD, make_org, make_user, token_for
from ..identity.test_oidc import Browser, sign_in
from ..web.helpers import HTML, csrf_of, login

LINK = re.compile(r"https?://\S+/account/verify-email\?token=\S+")


async def _register(client, email: str, password: str = PASSWORD) -> None:
    """Register through the page: the answer is "check your mailbox", and no session."""
    client.cookies.clear()
    page = await client.get("/register")
    r = await client.post(
        "/register",
        data={
            "name": "Someone",
            "email": email,
            "password": password,
            "password2": password,
            "csrf_token": csrf_of(page.text),
        },
    )
    assert r.status_code == 200 and "Check your mailbox" in r.text, r.text


async def _mailed_link(engine, smtp_server, address: str) -> str:
    """Deliver the outbox to the real SMTP server; the verification link sent to `address`."""
    inbox, cfg = smtp_server
    await deliver_pending(make_sessionmaker(engine), cfg, now=utcnow() + timedelta(minutes=10))
    bodies = [m.get_payload(decode=True).decode() for m in inbox.to(address)]
    links = [m.group(0) for b in bodies for m in [LINK.search(b)] if m]
    assert links, bodies
    return links[-1]


def _path(link: str) -> str:
    return link[link.index("/account/verify-email") :]


async def test_pre_registered_address_cannot_take_the_invitation(client, db, engine, smtp_server):
    owner = await make_user(db, "owner@lab.eu")
    owner_headers = await token_for(db, owner)
    await make_org(client, owner_headers, "lab")
    # Mallory registers the victim's address first, with her own password.
    await _register(client, "victim@lab.eu", "mallory's password")
    r = await client.post(
        "/api/v1/organisations/lab/invitations",
        json={"email": "victim@lab.eu", "role": "owner"},
        headers=owner_headers,
    )
    assert r.status_code == 201, r.text
    inv_id = r.json()["id"]
    # Her password opens no session and no token while the address is unproven.
    page = await client.get("/login")
    r = await client.post(
        "/login",
        data={
            "email": "victim@lab.eu",
            "password": "mallory's password",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert r.status_code == 403 and "Confirm your e-mail address" in r.text
    r = await client.post(
        "/api/v1/tokens/login",
        json={"email": "victim@lab.eu", "password": "mallory's password", "name": "m"},
    )
    assert r.status_code == 403 and "Confirm your e-mail address" in r.json()["detail"]
    mallory = await get_user_by_email(db, "victim@lab.eu")
    assert mallory is not None and not mallory.email_verified
    r = await client.post(
        f"/api/v1/invitations/{inv_id}/accept", headers=await token_for(db, mallory)
    )
    assert r.status_code == 403 and "Verify your e-mail address" in r.json()["detail"]
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(OrgMembership)) == 1  # the owner
    # The real owner of the mailbox gets the link (over SMTP) and only then may accept.
    link = await _mailed_link(engine, smtp_server, "victim@lab.eu")
    r = await client.get(_path(link))
    assert r.status_code == 303 and r.headers["location"] == "/login"
    csrf = await login(client, "victim@lab.eu", "mallory's password")
    r = await client.post(f"/invitations/{inv_id}/accept", data={"csrf_token": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/"


async def test_verification_link_is_single_use_and_expires(client, db, engine, smtp_server):
    await _register(client, "ada@lab.eu")
    link = await _mailed_link(engine, smtp_server, "ada@lab.eu")
    r = await client.get(_path(link))
    assert r.status_code == 303 and r.headers["location"] == "/login"
    await login(client, "ada@lab.eu")
    account = await client.get("/account", headers=HTML)
    assert 'id="email-state"><span class="badge ok">verified' in account.text
    again = await client.get(_path(link), headers=HTML)
    assert again.status_code == 400 and "already used" in again.text
    forged = await client.get(_path(link)[:-3] + "abc", headers=HTML)
    assert forged.status_code == 400 and "not valid" in forged.text

    # A link older than its lifetime is refused, and verifies nothing.
    user = await make_user(db, "late@lab.eu", verified=False)
    secret = client._transport.app.state.settings.resolved_secret_key()  # type: ignore[attr-defined]
    old = utcnow().timestamp() - verification.VERIFY_HOURS * 3600 - 60
    real_time = itsdangerous.timed.time
    itsdangerous.timed.time = types.SimpleNamespace(time=lambda: old)  # type: ignore[assignment]
    try:
        token = verification.verification_token(secret, user)
    finally:
        itsdangerous.timed.time = real_time
    with pytest.raises(InvalidInput, match="expired"):
        await verification.verify_email(db, token=token, secret_key=secret)
    await db.rollback()
    assert not (await get_user_by_email(db, "late@lab.eu")).email_verified


async def test_signing_in_unverified_sends_a_new_link(client, db, engine, smtp_server):
    await _register(client, "bob@lab.eu")
    page = await client.get("/login")
    r = await client.post(
        "/login",
        data={"email": "bob@lab.eu", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
    )
    assert r.status_code == 403 and "we sent a new link to bob@lab.eu" in r.text
    # A wrong password sends nothing.
    r = await client.post(
        "/login",
        data={"email": "bob@lab.eu", "password": "not it at all", "csrf_token": csrf_of(page.text)},
    )
    assert r.status_code == 401
    await db.commit()
    sent = await db.scalar(
        select(func.count()).where(
            MailMessage.recipient == "bob@lab.eu", MailMessage.kind == "user.verify_email"
        )
    )
    assert sent == 2
    r = await client.get(_path(await _mailed_link(engine, smtp_server, "bob@lab.eu")))
    assert r.status_code == 303
    await login(client, "bob@lab.eu")


async def test_resend_page_sends_a_new_link(client, db, engine, smtp_server):
    # Signed in though unverified: a provider that does not vouch for the address.
    from aifhub.core.config import OIDCProvider
    from aifhub.identity.credentials import federated_login, open_web_session

    provider = OIDCProvider(name="idp", issuer="https://idp.example.eu", client_id="aifhub")
    user = await federated_login(
        db, provider=provider, claims={"sub": "bob", "email": "bob@lab.eu"}
    )
    raw = await open_web_session(db, user, hours=1, client_addr=None, user_agent=None)
    await db.commit()
    client.cookies.set("aifhub_session", raw)
    page = await client.get("/account/verify-email", headers=HTML)
    assert page.status_code == 200 and "Send me a new link" in page.text
    r = await client.post("/account/verify-email", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 303
    await db.commit()
    sent = await db.scalar(
        select(func.count()).where(
            MailMessage.recipient == "bob@lab.eu", MailMessage.kind == "user.verify_email"
        )
    )
    assert sent == 1
    r = await client.get(_path(await _mailed_link(engine, smtp_server, "bob@lab.eu")))
    assert r.status_code == 303 and r.headers["location"] == "/account"


async def test_no_enumeration_through_members_or_invitations(client, db):
    owner = await make_user(db, "owner@lab.eu")
    headers = await token_for(db, owner)
    await make_org(client, headers, "lab")
    await client.post(
        "/api/v1/projects",
        json={"slug": "p", "name": "P", "organisation": "lab", "sector": "health"},
        headers=headers,
    )
    await make_user(db, "exists@else.eu")
    # Adding someone directly is gone: membership needs the invitee's consent.
    r = await client.post(
        "/api/v1/organisations/lab/members", json={"email": "exists@else.eu"}, headers=headers
    )
    assert r.status_code == 405
    answers = []
    for email in ("exists@else.eu", "nobody@else.eu"):
        r = await client.post(
            "/api/v1/organisations/lab/invitations", json={"email": email}, headers=headers
        )
        assert r.status_code == 201, r.text
        answers.append({k: v for k, v in r.json().items() if k not in ("id", "email")})
        r = await client.post(
            "/api/v1/projects/p/members", json={"email": email, "role": "pi"}, headers=headers
        )
        assert r.status_code == 404
        answers.append(r.json()["detail"].replace(email, "X"))
    assert answers[0]["created_at"] and answers[2]["created_at"]
    answers[0].pop("created_at"), answers[0].pop("expires_at")
    answers[2].pop("created_at"), answers[2].pop("expires_at")
    assert answers[0] == answers[2] and answers[1] == answers[3]
    await db.commit()
    members = await db.scalar(select(func.count()).select_from(OrgMembership))
    assert members == 1
    kinds = list(
        await db.scalars(select(MailMessage.recipient).where(MailMessage.kind == "org.invite"))
    )
    assert sorted(kinds) == ["exists@else.eu", "nobody@else.eu"]


async def test_unverified_account_gets_no_federated_link_nor_roles(db):
    from aifhub.core.config import OIDCProvider
    from aifhub.identity.credentials import federated_login

    provider = OIDCProvider(
        name="idp",
        issuer="https://idp.example.eu",
        client_id="aifhub",
        role_claims={"groups": {"staff-admins": "admin"}},
    )
    squatter = await make_user(db, "grace@uni.example", verified=False)
    await token_for(db, squatter)
    claims = {
        "sub": "grace",
        "email": "grace@uni.example",
        "email_verified": True,
        "groups": ["staff-admins"],
    }
    user = await federated_login(db, provider=provider, claims=claims)
    await db.commit()
    assert user.id != squatter.id and user.email == "grace@uni.example"
    assert user.email_verified and user.roles == {"admin"}
    await db.refresh(squatter)
    assert not squatter.is_active and squatter.password_hash is None
    assert squatter.email != "grace@uni.example" and squatter.roles == set()
    revoked = await db.scalar(select(ApiToken.revoked_at).where(ApiToken.user_id == squatter.id))
    assert revoked is not None
    links = list(await db.scalars(select(ExternalIdentity.user_id)))
    assert links == [user.id]
    # A provider that does not vouch for the address gets no roles on a new account either.
    other = await federated_login(
        db,
        provider=provider,
        claims={"sub": "x", "email": "x@uni.example", "groups": ["staff-admins"]},
    )
    assert not other.email_verified and other.roles == set()
    assert await db.scalar(select(func.count()).select_from(User)) == 3


@pytest.mark.slow
async def test_real_provider_sign_in_never_enters_the_squatters_account(aifhub_url, db):
    # Mallory registered the victim's address first and keeps its password.
    squatter = await make_user(db, "ada@example.eu", verified=False)
    browser = Browser()
    try:
        me = await sign_in(browser, aifhub_url, "ada")  # the victim, at a real OpenID provider
        assert me.status_code == 200, me.text
        body = me.json()
    finally:
        await browser.close()
    assert body["id"] != squatter.id and body["email"] == "ada@example.eu"
    assert body["email_verified"] is True and body["staff_roles"] == ["admin", "support"]
    # The squatter's password opens nothing any more: the address went to its proven owner.
    async with httpx.AsyncClient(base_url=aifhub_url) as http:
        r = await http.post(
            "/api/v1/tokens/login",
            json={"email": "ada@example.eu", "password": PASSWORD, "name": "mallory"},
        )
    assert r.status_code == 401
    await db.commit()
    await db.refresh(squatter)
    assert not squatter.is_active and squatter.roles == set()
    assert list(await db.scalars(select(ExternalIdentity.user_id))) == [body["id"]]
