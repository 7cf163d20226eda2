"""Sign-in, sign-out, register, dashboard, CSRF, language: through the real pages."""

from __future__ import annotations

from sqlalchemy import func, select

from aifhub.identity.models import LoginAttempt, User, WebSession

from ..factories import PASSWORD, make_user
from .helpers import HTML, csrf_of, login, user_and_login


async def test_anonymous_is_sent_to_login(client, db):
    for url in ["/", "/organisations", "/projects/x", "/account", "/staff/audit"]:
        r = await client.get(url, headers=HTML)
        assert r.status_code == 303, url
        assert r.headers["location"].startswith("/login"), url
    r = await client.get("/projects/x", headers=HTML)
    assert r.headers["location"] == "/login?next=/projects/x"


async def test_login_sets_a_secure_session_cookie_and_goes_back(client, db):
    await make_user(db, "ada@example.eu")
    page = await client.get("/login?next=/account")
    assert page.status_code == 200 and 'name="next" value="/account"' in page.text
    r = await client.post(
        "/login",
        data={
            "email": "ADA@example.eu",
            "password": PASSWORD,
            "next": "/account",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert r.status_code == 303 and r.headers["location"] == "/account"
    cookie = [c for c in r.headers.get_list("set-cookie") if c.startswith("aifhub_session=")][0]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert (await client.get("/account", headers=HTML)).status_code == 200


async def test_login_never_redirects_to_another_site(client, db):
    await make_user(db, "ada@example.eu")
    page = await client.get("/login")
    r = await client.post(
        "/login",
        data={
            "email": "ada@example.eu",
            "password": PASSWORD,
            "next": "//evil.example/x",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert r.headers["location"] == "/"


async def test_wrong_password_is_recorded_and_rate_limited(client, db):
    await make_user(db, "bob@example.eu")
    page = await client.get("/login")
    token = csrf_of(page.text)
    for _ in range(5):
        r = await client.post(
            "/login", data={"email": "bob@example.eu", "password": "nope", "csrf_token": token}
        )
        assert r.status_code == 401 and "Wrong e-mail or password." in r.text
        assert 'value="bob@example.eu"' in r.text
    n = await db.scalar(select(func.count()).select_from(LoginAttempt))
    assert n == 5
    r = await client.post(
        "/login", data={"email": "bob@example.eu", "password": PASSWORD, "csrf_token": token}
    )
    assert r.status_code == 429 and "Too many failed sign-in attempts" in r.text
    assert await db.scalar(select(func.count()).select_from(WebSession)) == 0


async def test_login_form_needs_its_csrf_token(client, db):
    await make_user(db, "ada@example.eu")
    await client.get("/login")
    r = await client.post("/login", data={"email": "ada@example.eu", "password": PASSWORD})
    assert r.status_code == 403
    r = await client.post(
        "/login", data={"email": "ada@example.eu", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert r.status_code == 403
    assert await db.scalar(select(func.count()).select_from(WebSession)) == 0


async def test_logout_needs_csrf_then_ends_the_session(client, db):
    csrf = await user_and_login(client, db, "ada@example.eu")
    r = await client.post("/logout", data={"csrf_token": "wrong"})
    assert r.status_code == 403
    assert await db.scalar(select(func.count()).select_from(WebSession)) == 1
    r = await client.post("/logout", data={"csrf_token": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert await db.scalar(select(func.count()).select_from(WebSession)) == 0
    assert (await client.get("/", headers=HTML)).status_code == 303


async def test_register_creates_an_account_to_verify_before_signing_in(client, db):
    page = await client.get("/register")
    token = csrf_of(page.text)
    bad = await client.post(
        "/register",
        data={
            "csrf_token": token,
            "name": "Zoé",
            "email": "not-an-email",
            "password": "short",
            "password2": "other",
        },
    )
    assert bad.status_code == 422
    assert "Enter a valid e-mail address" in bad.text
    assert "This field is too short." in bad.text
    assert "The two passwords differ." in bad.text
    assert await db.scalar(select(func.count()).select_from(User)) == 0
    good = {
        "csrf_token": token,
        "name": "Zoé",
        "email": "zoe@example.eu",
        "password": "a long password",
        "password2": "a long password",
    }
    r = await client.post("/register", data=good)
    assert r.status_code == 200 and "Check your mailbox" in r.text
    assert "zoe@example.eu" in r.text
    # No session: the address must be confirmed first.
    assert (await client.get("/", headers=HTML)).status_code == 303
    assert await db.scalar(select(func.count()).select_from(WebSession)) == 0
    page = await client.get("/login")
    r = await client.post(
        "/login",
        data={"email": "zoe@example.eu", "password": "a long password", "csrf_token": token},
    )
    assert r.status_code == 403 and "Confirm your e-mail address before signing in" in r.text
    assert await db.scalar(select(func.count()).select_from(WebSession)) == 0
    assert await db.scalar(select(func.count()).select_from(User)) == 1


async def test_dashboard_lists_orgs_projects_and_invitations(client, db):
    owner_csrf = await user_and_login(client, db, "owner@example.eu")
    await client.post(
        "/organisations/new",
        data={
            "csrf_token": owner_csrf,
            "slug": "acme",
            "name": "Acme",
            "kind": "sme",
            "country": "FR",
            "sectors": ["health"],
        },
    )
    await client.post(
        "/projects/new",
        data={
            "csrf_token": owner_csrf,
            "slug": "llm",
            "name": "LLM fr",
            "organisation": "acme",
            "sector": "health",
        },
    )
    await client.post(
        "/organisations/acme/invite",
        data={"csrf_token": owner_csrf, "email": "guest@example.eu", "role": "member"},
    )
    home = await client.get("/", headers=HTML)
    assert "Acme" in home.text and "LLM fr" in home.text and "PI" in home.text
    guest_csrf = await user_and_login(client, db, "guest@example.eu")
    home = await client.get("/", headers=HTML)
    assert "Pending invitations" in home.text and "Join acme" in home.text
    inv_id = home.text.split("/invitations/")[1].split("/")[0]
    r = await client.post(f"/invitations/{inv_id}/accept", data={"csrf_token": "bad"})
    assert r.status_code == 403
    r = await client.post(f"/invitations/{inv_id}/accept", data={"csrf_token": guest_csrf})
    assert r.status_code == 303
    home = await client.get("/", headers=HTML)
    assert "Invitation accepted" in home.text and "Pending invitations" not in home.text
    assert 'href="/organisations/acme"' in home.text


async def test_french_with_the_lang_cookie_and_the_switch(client, db):
    await user_and_login(client, db, "ada@example.eu")
    r = await client.get("/lang/fr?next=/account")
    assert r.status_code == 303 and r.headers["location"] == "/account"
    page = await client.get("/account", headers=HTML)
    assert '<html lang="fr">' in page.text
    assert "Mon compte" in page.text and "Jetons d'API" in page.text
    assert "Se déconnecter" in page.text
    home = await client.get("/", headers=HTML)
    assert "Tableau de bord" in home.text and "Mes projets" in home.text
    assert (await client.get("/lang/xx")).status_code == 404


async def test_accept_language_and_user_locale(client, db):
    r = await client.get("/login", headers={"accept-language": "fr-FR,fr;q=0.9,en;q=0.5"})
    assert "Se connecter" in r.text
    user = await make_user(db, "fr@example.eu")
    user.locale = "fr"
    await db.commit()
    await login(client, "fr@example.eu")
    assert "Tableau de bord" in (await client.get("/", headers=HTML)).text


async def test_error_pages_are_html_and_translated(client, db):
    await user_and_login(client, db, "ada@example.eu")
    r = await client.get("/projects/nope", headers=HTML)
    assert r.status_code == 404 and "No project &#39;nope&#39;" in r.text
    client.cookies.set("lang", "fr")
    r = await client.get("/projects/nope", headers=HTML)
    assert r.status_code == 404 and "Introuvable" in r.text
