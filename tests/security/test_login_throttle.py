"""Sign-in throttling: progressive delays counted in the database, checked before the hash."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from aifhub.core.db import utcnow
from aifhub.identity import credentials
from aifhub.identity.models import LoginThrottle

from ..factories import PASSWORD, make_user

LOGIN = "/api/v1/tokens/login"


@pytest.fixture
def hash_checks(monkeypatch):
    """Counts the password verifications the app really performs."""
    calls: list[str] = []
    real = credentials.verify_password

    def counting(password_hash, password):
        calls.append(password)
        return real(password_hash, password)

    monkeypatch.setattr(credentials, "verify_password", counting)
    return calls


@pytest.fixture
def limits(app):
    """Change the app's throttling settings for one test."""
    original = app.state.settings

    def apply(**values):
        app.state.settings = original.model_copy(update=values)

    yield apply
    app.state.settings = original


async def _attempt(client, email: str, password: str, addr: str | None = None):
    body = {"email": email, "password": password, "name": "x"}
    if addr is None:
        return await client.post(LOGIN, json=body)
    transport = httpx.ASGITransport(app=client._transport.app, client=(addr, 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        return await other.post(LOGIN, json=body)


async def test_parallel_guesses_check_at_most_the_allowed_passwords(client, db, hash_checks):
    await make_user(db, "bob@example.eu")
    results = await asyncio.gather(
        *(_attempt(client, "bob@example.eu", f"guess-{i}") for i in range(30))
    )
    codes = sorted(r.status_code for r in results)
    assert len(hash_checks) == 5, hash_checks
    assert codes == [401] * 5 + [429] * 25
    refused = next(r for r in results if r.status_code == 429)
    assert refused.headers["content-type"].startswith("application/problem+json")
    wait = int(refused.headers["Retry-After"])
    assert 1 <= wait <= 2
    assert f"wait {wait} seconds" in refused.json()["detail"]

    # The real user is not locked out: once the delay has passed, the right password works.
    await asyncio.sleep(wait + 0.2)
    r = await _attempt(client, "bob@example.eu", PASSWORD)
    assert r.status_code == 201, r.text
    assert len(hash_checks) == 6
    row = await db.scalar(
        select(LoginThrottle).where(LoginThrottle.key == "account:bob@example.eu")
    )
    assert row.failures == 0 and row.next_allowed_at is None


async def test_delays_double_and_are_capped(client, db, hash_checks, limits):
    limits(login_delay_s=10, login_max_delay_s=60)
    await make_user(db, "bob@example.eu")
    for _ in range(5):
        assert (await _attempt(client, "bob@example.eu", "nope")).status_code == 401
    waits = []
    for _ in range(5):
        r = await _attempt(client, "bob@example.eu", "nope")
        assert r.status_code == 429
        waits.append(int(r.headers["Retry-After"]))
        # let the delay pass without sleeping through it
        await db.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == "account:bob@example.eu")
            .values(next_allowed_at=utcnow() - timedelta(seconds=1))
        )
        await db.commit()
        assert (await _attempt(client, "bob@example.eu", "nope")).status_code == 401
    # each wait is counted from the failure that set it (a second may have passed since)
    for wait, expected in zip(waits, [10, 20, 40, 60, 60], strict=True):
        assert expected - 2 <= wait <= expected, waits
    assert len(hash_checks) == 10


async def test_one_guesser_does_not_lock_out_a_shared_address(client, db, hash_checks):
    """Another account behind the same address (a NAT) signs in at once."""
    await make_user(db, "bob@example.eu")
    await make_user(db, "alice@example.eu")
    for _ in range(12):
        await _attempt(client, "bob@example.eu", "nope")
    r = await _attempt(client, "alice@example.eu", PASSWORD)
    assert r.status_code == 201, r.text
    # and bob himself, from another address, still waits (the count is per account)
    r = await _attempt(client, "bob@example.eu", PASSWORD, addr="192.0.2.7")
    assert r.status_code == 429


async def test_an_address_spraying_many_accounts_is_slowed(client, db, hash_checks, limits):
    limits(login_max_failures_per_address=8)
    results = [
        (await _attempt(client, f"user{i}@example.eu", "password1")).status_code for i in range(12)
    ]
    assert results == [401] * 8 + [429] * 4
    assert len(hash_checks) == 8
    # another address is not concerned
    r = await _attempt(client, "user99@example.eu", "password1", addr="192.0.2.8")
    assert r.status_code == 401


async def test_the_sign_in_page_says_how_long_to_wait(client, db):
    from ..web.helpers import csrf_of

    await make_user(db, "bob@example.eu")
    page = await client.get("/login")
    token = csrf_of(page.text)
    for _ in range(5):
        r = await client.post(
            "/login", data={"email": "bob@example.eu", "password": "nope", "csrf_token": token}
        )
        assert r.status_code == 401
    r = await client.post(
        "/login", data={"email": "bob@example.eu", "password": PASSWORD, "csrf_token": token}
    )
    assert r.status_code == 429
    assert "Retry-After" in r.headers
    assert f"wait {r.headers['Retry-After']} seconds and try again" in r.text
