"""Password pages: ask for a reset link, and set a new password from that link."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from aifhub.core.db import DbSession, attempt
from aifhub.core.errors import AppError, TooManyRequests
from aifhub.identity import passwords
from aifhub.identity.deps import SESSION_COOKIE
from aifhub.identity.page_deps import AnonCsrfForm
from aifhub.identity.web_common import client_address, page
from aifhub.schemas import identity as schemas
from aifhub.web.forms import form_values, validate
from aifhub.web.render import gettext, redirect

router = APIRouter(include_in_schema=False)


@router.get(passwords.FORGOT_PATH)
async def forgot_page(request: Request) -> Response:
    """The form that asks for a password-reset link."""
    return page(request, "identity/password_forgot.html", values={}, errors={}, sent="")


@router.post(passwords.FORGOT_PATH)
async def forgot(request: Request, db: DbSession, form: AnonCsrfForm) -> Response:
    """Mail a reset link if the address has an account; the answer never says whether."""
    settings = request.app.state.settings
    values = form_values(form)
    data, errors = validate(request, schemas.EmailOnly, {"email": values.get("email", "")})
    if data is None:
        return page(
            request, "identity/password_forgot.html", 422, values=values, errors=errors, sent=""
        )
    email = data.email.strip().lower()
    try:
        await passwords.request_reset(
            db,
            email=email,
            client_addr=client_address(request),
            policy=passwords.ResetPolicy.from_settings(settings),
        )
    except TooManyRequests as exc:
        seconds = int(exc.extra["retry_after_s"])
        errors = {
            "__all__": gettext(
                request,
                "Too many password-reset requests; wait %(seconds)s seconds and try again.",
                seconds=seconds,
            )
        }
        response = page(
            request, "identity/password_forgot.html", 429, values=values, errors=errors, sent=""
        )
        response.headers["Retry-After"] = str(seconds)
        return response
    return page(request, "identity/password_forgot.html", values={}, errors={}, sent=email)


@router.get(passwords.RESET_PATH)
async def reset_page(request: Request, db: DbSession, token: str = "") -> Response:
    """The form that sets a new password, when the link's token is still good."""
    try:
        await passwords.reset_target(db, token)
    except AppError as exc:
        error = gettext(request, exc.detail)
        return page(request, "identity/password_reset.html", 400, error=error, errors={})
    return page(request, "identity/password_reset.html", token=token, error="", errors={})


@router.post(passwords.RESET_PATH)
async def reset(request: Request, db: DbSession, form: AnonCsrfForm) -> Response:
    """Set the new password; the link is spent and every browser signed out."""
    settings = request.app.state.settings
    token = str(form.get("token") or "")
    values = form_values(form)
    data, errors = validate(request, schemas.PasswordSet, {"password": values.get("password", "")})
    if values.get("password") != values.get("password2"):
        errors.setdefault("password2", gettext(request, "The two passwords differ."))
    if data is not None and not errors:
        try:
            async with attempt(db):
                await passwords.reset_password(
                    db,
                    token=token,
                    password=data.password,
                    policy=passwords.ResetPolicy.from_settings(settings),
                )
        except AppError as exc:
            error = gettext(request, exc.detail)
            return page(request, "identity/password_reset.html", 400, error=error, errors={})
        response = redirect(
            request,
            "/login",
            gettext(request, "Your password is changed: sign in with the new one."),
        )
        response.delete_cookie(SESSION_COOKIE)
        return response
    return page(request, "identity/password_reset.html", 422, token=token, error="", errors=errors)
