"""Identity pages: sign-in, register, dashboard, account and tokens (over the services)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from aifhub.core import context, i18n
from aifhub.core.db import DbSession, attempt
from aifhub.core.errors import AppError, TooManyRequests
from aifhub.core.validation import Id
from aifhub.identity import credentials, passwords, registration, service, verification
from aifhub.identity import projects as project_service
from aifhub.identity.deps import SESSION_COOKIE
from aifhub.identity.models import User
from aifhub.identity.oidc import oidc_providers, provider_sign_out
from aifhub.identity.page_deps import AnonCsrfForm, CsrfForm, OptionalPageUser, PageUser
from aifhub.identity.throttle import LoginLimits
from aifhub.identity.web_common import (
    TOKEN_SCOPES,
    choices,
    client_address,
    is_htmx,
    page,
    refused,
)
from aifhub.schemas import identity as schemas
from aifhub.web.dashboard import dashboard_cards
from aifhub.web.deps import safe_next
from aifhub.web.forms import form_values, validate
from aifhub.web.render import gettext, page_locale, redirect

router = APIRouter(include_in_schema=False)


async def _sign_in(request: Request, db: DbSession, user: User, next_url: str) -> Response:
    settings = request.app.state.settings
    context.set_actor(user.id, user.email)
    raw = await credentials.open_web_session(
        db,
        user,
        hours=settings.session_hours,
        client_addr=client_address(request),
        user_agent=request.headers.get("user-agent"),
    )
    response = RedirectResponse(safe_next(next_url), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        raw,
        max_age=settings.session_hours * 3600,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
    )
    return response


@router.get("/login")
async def login_page(request: Request, user: OptionalPageUser, next: str = "/") -> Response:
    """The sign-in form."""
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return page(
        request,
        "identity/login.html",
        next=safe_next(next),
        values={},
        errors={},
        providers=oidc_providers(request, safe_next(next)),
    )


@router.post("/login")
async def login(request: Request, db: DbSession, form: AnonCsrfForm) -> Response:
    """Check the password (rate-limited) and open a browser session."""
    settings = request.app.state.settings
    email = str(form.get("email") or "").strip()
    next_url = safe_next(str(form.get("next") or "/"))
    values = {"email": email}
    try:
        user = await credentials.authenticate(
            db,
            email=email,
            password=str(form.get("password") or ""),
            client_addr=client_address(request),
            limits=LoginLimits.from_settings(settings),
        )
    except TooManyRequests as exc:
        seconds = int(exc.extra["retry_after_s"])
        errors = {
            "__all__": gettext(
                request,
                "Too many failed sign-in attempts; wait %(seconds)s seconds and try again.",
                seconds=seconds,
            )
        }
        response = page(
            request,
            "identity/login.html",
            429,
            providers=oidc_providers(request, next_url),
            next=next_url,
            values=values,
            errors=errors,
        )
        response.headers["Retry-After"] = str(seconds)
        return response
    if user is None:
        await db.commit()  # the failed attempt counts towards the rate limit
        errors = {"__all__": gettext(request, "Wrong e-mail or password.")}
        return page(
            request,
            "identity/login.html",
            401,
            providers=oidc_providers(request, next_url),
            next=next_url,
            values=values,
            errors=errors,
        )
    if not user.email_verified:
        # The right password, an address never proved: a fresh link, no session.
        await _send_verification(request, db, user)
        await db.commit()
        errors = {
            "__all__": gettext(
                request,
                "Confirm your e-mail address before signing in: we sent a new link to"
                " %(email)s; open it, then sign in.",
                email=user.email,
            )
        }
        return page(
            request,
            "identity/login.html",
            403,
            providers=oidc_providers(request, next_url),
            next=next_url,
            values=values,
            errors=errors,
        )
    return await _sign_in(request, db, user, next_url)


@router.post("/logout")
async def logout(request: Request, db: DbSession, user: PageUser, form: CsrfForm) -> Response:
    """End the browser session, and the provider's too after a federated sign-in."""
    federated = await credentials.close_web_session(db, request.cookies.get(SESSION_COOKIE, ""))
    response = (await provider_sign_out(request, federated) if federated else None) or redirect(
        request, "/login", gettext(request, "You are signed out."), "info"
    )
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/register")
async def register_page(request: Request, user: OptionalPageUser) -> Response:
    """The form to create a local account."""
    if user is not None:
        return RedirectResponse("/", status_code=303)
    return page(request, "identity/register.html", values={}, errors={})


@router.post("/register")
async def register(request: Request, db: DbSession, form: AnonCsrfForm) -> Response:
    """Create a local account to verify, or warn the owner of a taken address: one answer."""
    settings = request.app.state.settings
    values = form_values(form)
    data, errors = validate(
        request, schemas.UserCreate, {k: values.get(k, "") for k in ("email", "name", "password")}
    )
    if values.get("password") != values.get("password2"):
        errors.setdefault("password2", gettext(request, "The two passwords differ."))
    if data is not None and not errors:
        await registration.register(
            db,
            data=data,
            locale=page_locale(request),
            secret_key=settings.resolved_secret_key(),
            policy=passwords.ResetPolicy.from_settings(settings),
        )
        return page(request, "identity/register_sent.html", email=data.email.strip().lower())
    values.pop("password", None)
    values.pop("password2", None)
    return page(request, "identity/register.html", 422, values=values, errors=errors)


# ---------------------------------------------------------------- dashboard


@router.get("/")
async def dashboard(request: Request, db: DbSession, user: PageUser) -> Response:
    """My organisations, my projects with roles, pending invitations, and the domains' cards."""
    orgs, _ = await service.list_orgs(db, user, limit=200, offset=0)
    projects, _ = await project_service.list_projects(db, user, limit=100, offset=0)
    # Staff see every project; their dashboard keeps the ones they take part in.
    projects = [row for row in projects if row[2] or not user.is_staff]
    invitations = await service.list_my_invitations(db, user)
    return page(
        request,
        "identity/dashboard.html",
        orgs=[(o, r) for o, r in orgs if r],
        projects=projects,
        invitations=invitations,
        cards=await dashboard_cards(request.app.state.assembly.cards, db, user, request),
    )


@router.post("/invitations/{invitation_id}/accept")
async def accept_invitation(
    request: Request, db: DbSession, user: PageUser, form: CsrfForm, invitation_id: Id
) -> Response:
    """Join an organisation through an invitation (a verified address is needed)."""
    try:
        await service.accept_invitation(db, user, invitation_id)
    except verification.EmailNotVerified:
        msg = gettext(
            request,
            "Verify your e-mail address %(email)s before accepting an invitation: open the"
            " link we sent there, or ask for a new one on the verification page.",
            email=user.email,
        )
        return redirect(request, verification.VERIFY_PATH, msg, "error")
    return redirect(request, "/", gettext(request, "Invitation accepted: welcome aboard."))


# ---------------------------------------------------------------- e-mail verification


async def _send_verification(request: Request, db: DbSession, user: User) -> None:
    settings = request.app.state.settings
    await verification.send_verification(
        db, user, secret_key=settings.resolved_secret_key(), base_url=settings.base_url
    )


@router.get(verification.VERIFY_PATH)
async def verify_email(
    request: Request, db: DbSession, user: OptionalPageUser, token: str = ""
) -> Response:
    """With a link's token: verify the address. Without: the page to ask for a new link."""
    if not token:
        if user is None:
            return RedirectResponse(f"/login?next={verification.VERIFY_PATH}", status_code=303)
        return page(request, "identity/verify_email.html", error="")
    try:
        async with attempt(db):
            verified = await verification.verify_email(
                db, token=token, secret_key=request.app.state.settings.resolved_secret_key()
            )
    except AppError as exc:
        return page(request, "identity/verify_email.html", 400, error=exc.detail)
    msg = gettext(request, "Your e-mail address %(email)s is verified.", email=verified.email)
    return redirect(request, "/account" if user is not None else "/login", msg)


@router.post(verification.VERIFY_PATH)
async def resend_verification(
    request: Request, db: DbSession, user: PageUser, form: CsrfForm
) -> Response:
    """Send a new verification link to my address."""
    if user.email_verified:
        msg = gettext(request, "Your e-mail address is already verified.")
        return redirect(request, "/account", msg, "info")
    await _send_verification(request, db, user)
    msg = gettext(
        request,
        "A new link is on its way to %(email)s; it may take a few minutes.",
        email=user.email,
    )
    return redirect(request, verification.VERIFY_PATH, msg)


# ---------------------------------------------------------------- account and tokens


async def _account(
    request: Request, db: DbSession, user: User, status: int = 200, **ctx: Any
) -> Response:
    ctx.setdefault("errors", {})
    ctx.setdefault("token_errors", {})
    ctx.setdefault("password_errors", {})
    ctx.setdefault("token_values", {"scopes": ["read", "write"], "expires_in_days": "90"})
    return page(
        request,
        "identity/account.html",
        status,
        tokens=await credentials.list_tokens(db, user),
        scopes=choices(request, TOKEN_SCOPES),
        **ctx,
    )


@router.get("/account")
async def account(request: Request, db: DbSession, user: PageUser) -> Response:
    """My profile, my language, my API tokens."""
    return await _account(request, db, user)


@router.post("/account/profile")
async def update_profile(
    request: Request, db: DbSession, user: PageUser, form: CsrfForm
) -> Response:
    """Change my name and language."""
    data, errors = validate(request, schemas.UserUpdate, form_values(form))
    if data is None:
        return await _account(request, db, user, 422, errors=errors)
    await service.update_user(db, user, data=data)
    request.state.locale = user.locale
    response = redirect(request, "/account", gettext(request, "Your profile is saved."))
    response.set_cookie(
        i18n.LANG_COOKIE,
        user.locale,
        max_age=365 * 24 * 3600,
        samesite="lax",
        secure=request.app.state.settings.secure_cookies,
    )
    return response


@router.post("/account/password")
async def change_password(
    request: Request, db: DbSession, user: PageUser, form: CsrfForm
) -> Response:
    """Set a new password, giving the current one; every other browser is signed out."""
    settings = request.app.state.settings
    values = form_values(form)
    data, errors = validate(
        request,
        schemas.PasswordChange,
        {k: values.get(k, "") for k in ("current_password", "password")},
    )
    if values.get("password") != values.get("password2"):
        errors.setdefault("password2", gettext(request, "The two passwords differ."))
    if data is None or errors:
        return await _account(request, db, user, 422, password_errors=errors)
    try:
        await passwords.change_password(
            db,
            user,
            current=data.current_password,
            new=data.password,
            client_addr=client_address(request),
            limits=LoginLimits.from_settings(settings),
            keep_session=request.cookies.get(SESSION_COOKIE, ""),
            policy=passwords.ResetPolicy.from_settings(settings),
        )
    except TooManyRequests as exc:
        seconds = int(exc.extra["retry_after_s"])
        msg = "Too many wrong passwords; wait %(seconds)s seconds and try again."
        errs = {"__all__": gettext(request, msg, seconds=seconds)}
        response = await _account(request, db, user, 429, password_errors=errs)
        response.headers["Retry-After"] = str(int(exc.extra["retry_after_s"]))
        return response
    except AppError as exc:
        await db.commit()  # a wrong current password counts towards the throttle
        errs = {exc.field or "__all__": gettext(request, exc.detail)}
        return await _account(request, db, user, 422, password_errors=errs)
    msg = gettext(request, "Your password is changed; your other browsers were signed out.")
    return redirect(request, "/account", msg)


@router.post("/account/tokens")
async def create_token(request: Request, db: DbSession, user: PageUser, form: CsrfForm) -> Response:
    """Create an API token and show its secret once."""
    values = form_values(form, "scopes")
    if values.get("expires_in_days") == "never":
        values["expires_in_days"] = None
    data, errors = validate(request, schemas.TokenCreate, values)
    if data is None:
        return await _account(request, db, user, 422, token_errors=errors, token_values=values)
    try:
        async with attempt(db):
            token, secret = await credentials.create_token(db, user, data=data)
    except AppError as exc:
        errs = refused(exc)
        return await _account(request, db, user, 422, token_errors=errs, token_values=values)
    return await _account(request, db, user, new_token=token, new_secret=secret)


@router.post("/account/tokens/{token_id}/revoke")
async def revoke_token(
    request: Request, db: DbSession, user: PageUser, form: CsrfForm, token_id: Id
) -> Response:
    """Revoke one of my tokens."""
    token = await credentials.revoke_token(db, user, token_id)
    if is_htmx(request):
        return page(request, "identity/_token_row.html", t=token)
    return redirect(request, "/account", gettext(request, "The token is revoked."))
