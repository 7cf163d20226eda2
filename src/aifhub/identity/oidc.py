"""Federated sign-in (OpenID Connect, authorization code + PKCE): the browser routes.

`GET /auth/oidc/{name}/login` sends the browser to the provider; `GET /auth/oidc/{name}/callback`
checks its answer, finds or creates the user (`credentials.federated_login`) and opens a web
session. Between the two, `state`, `nonce` and the PKCE verifier travel in a signed cookie that
lives ten minutes and serves once, so any web process can finish a sign-in another one began.

Signing out of a session opened through a provider that offers RP-initiated logout sends the
browser on to the provider's `end_session_endpoint` (`provider_sign_out`), which ends the
provider's session too and sends the browser back to the sign-in page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from aifhub.core import context
from aifhub.core.config import OIDCProvider, Settings
from aifhub.core.db import DbSession
from aifhub.core.errors import AppError, NotFound
from aifhub.core.infra import get_infra
from aifhub.identity import credentials
from aifhub.identity.deps import SESSION_COOKIE
from aifhub.identity.oidc_client import (
    FederatedSignInFailed,
    ProviderMetadata,
    authorization_request,
    complete_sign_in,
    discover,
    end_session_url,
    same_secret,
)
from aifhub.web.render import flash, gettext, redirect

log = logging.getLogger(__name__)

router = APIRouter(tags=["oidc"], include_in_schema=False)

STATE_COOKIE = "aifhub_oidc"
STATE_COOKIE_PATH = "/auth/oidc/"
STATE_MAX_AGE_S = 600
_SALT = "aifhub.oidc.state"


@dataclass(frozen=True)
class ProviderLink:
    """A sign-in button of the login page."""

    name: str
    label: str
    url: str


def oidc_providers(request: Request, next_path: str = "/") -> list[ProviderLink]:
    """The site's federated providers, with the URL that starts each sign-in (login page)."""
    site = get_infra(request).site
    target = _safe_next(next_path)
    suffix = "" if target == "/" else "?" + urlencode({"next": target})
    return [
        ProviderLink(name=p.name, label=p.label, url=f"/auth/oidc/{p.name}/login{suffix}")
        for p in site.oidc
    ]


def _provider(request: Request, name: str) -> OIDCProvider:
    for provider in get_infra(request).site.oidc:
        if provider.name == name:
            return provider
    raise NotFound(
        f"No identity provider '{name}' on this site; the known ones are: "
        + (", ".join(p.name for p in get_infra(request).site.oidc) or "none")
        + "."
    )


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.resolved_secret_key(), salt=_SALT)


def redirect_uri(settings: Settings, name: str) -> str:
    """The callback URL to register at the provider for the [[oidc]] section `name`."""
    return f"{settings.base_url.rstrip('/')}/auth/oidc/{name}/callback"


def post_logout_redirect_uri(settings: Settings) -> str:
    """Where the provider sends the browser back after a sign-out (register it there)."""
    return f"{settings.base_url.rstrip('/')}/login"


def _safe_next(value: str | None) -> str:
    # Only a path on this site: never an open redirect to somewhere else.
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


@router.get("/auth/oidc/{name}/login")
async def oidc_login(request: Request, name: str, next: str = "/") -> Response:
    """Start a federated sign-in: redirect to the identity provider."""
    provider = _provider(request, name)
    settings = _settings(request)
    meta = await discover(provider)
    auth = authorization_request(provider, meta, redirect_uri=redirect_uri(settings, name))
    pending = {
        "p": provider.name,
        "s": auth.state,
        "n": auth.nonce,
        "v": auth.code_verifier,
        "next": _safe_next(next),
    }
    response = RedirectResponse(auth.url, status_code=303)
    response.set_cookie(
        STATE_COOKIE,
        _serializer(settings).dumps(pending),
        max_age=STATE_MAX_AGE_S,
        path=STATE_COOKIE_PATH,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",  # sent on the provider's top-level redirect back to us
    )
    return response


def _pending(request: Request, settings: Settings, provider: OIDCProvider) -> dict[str, Any]:
    raw = request.cookies.get(STATE_COOKIE)
    again = f"Start again from the sign-in page ('{provider.label}')."
    if not raw:
        raise FederatedSignInFailed(
            "No sign-in is in progress in this browser (cookies blocked, or the sign-in was"
            f" started elsewhere). {again}"
        )
    try:
        pending = _serializer(settings).loads(raw, max_age=STATE_MAX_AGE_S)
    except SignatureExpired as exc:
        raise FederatedSignInFailed(
            f"The sign-in took more than {STATE_MAX_AGE_S // 60} minutes. {again}"
        ) from exc
    except BadSignature as exc:
        raise FederatedSignInFailed(f"The sign-in cookie is not valid. {again}") from exc
    if not isinstance(pending, dict) or pending.get("p") != provider.name:
        raise FederatedSignInFailed(f"The sign-in in progress is for another provider. {again}")
    return pending


@router.get("/auth/oidc/{name}/callback")
async def oidc_callback(
    request: Request,
    db: DbSession,
    name: str,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
    error_description: str | None = None,
    iss: str | None = None,
) -> Response:
    """Finish a federated sign-in: check the provider's answer, sign the user in."""
    provider = _provider(request, name)
    settings = _settings(request)
    try:
        pending = _pending(request, settings, provider)
        if not same_secret(state, pending.get("s")):
            raise FederatedSignInFailed(
                "The sign-in answer does not match the sign-in this browser started (state)."
                " Start again from the sign-in page."
            )
        meta = await discover(provider)
        _check_issuer(request, provider, meta, iss)
        if error:
            raise FederatedSignInFailed(
                f"The identity provider '{provider.label}' did not sign you in: {error}"
                + (f" ({error_description})" if error_description else "")
                + ". Start again, or contact the factory's support."
            )
        if not code:
            raise FederatedSignInFailed("The identity provider sent no authorization code.")
        signed_in = await complete_sign_in(
            provider,
            code=code,
            redirect_uri=redirect_uri(settings, name),
            code_verifier=str(pending["v"]),
            nonce=str(pending["n"]),
        )
        claims = signed_in.claims
        user = await credentials.federated_login(db, provider=provider, claims=claims)
        # Other domains act on the provider's trusted claims (e.g. compute: cluster logins).
        for hook in getattr(request.app.state, "federated_sign_in_hooks", ()):
            await hook(db, user, provider=provider.name, claims=claims)
        context.set_actor(user.id, user.email)
        raw = await credentials.open_web_session(
            db,
            user,
            hours=settings.session_hours,
            client_addr=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent"),
            # Kept only where sign-out can use it (RP-initiated logout): never in a cookie.
            oidc_provider=provider.name,
            id_token=signed_in.id_token if meta.end_session_endpoint else None,
        )
    except AppError as exc:
        await db.rollback()  # nothing of a failed sign-in is kept
        response = await request.app.exception_handlers[AppError](request, exc)
        response.delete_cookie(STATE_COOKIE, path=STATE_COOKIE_PATH)
        return response
    response = RedirectResponse(_safe_next(pending.get("next")), status_code=303)
    response.delete_cookie(STATE_COOKIE, path=STATE_COOKIE_PATH)
    response.set_cookie(
        SESSION_COOKIE,
        raw,
        max_age=settings.session_hours * 3600,
        path="/",
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
    )
    return response


def _check_issuer(
    request: Request, provider: OIDCProvider, meta: ProviderMetadata, iss: str | None
) -> None:
    """RFC 9207: the answer names its issuer, which defeats provider mix-up attacks. A
    provider that promises `iss` and an answer without it means the answer is not its own."""
    again = gettext(
        request,
        "Start again from the sign-in page; if this happens again, tell the factory's support.",
    )
    if iss is None:
        if meta.iss_parameter_supported:
            raise FederatedSignInFailed(
                gettext(
                    request,
                    "The sign-in answer does not say which identity provider sent it, although"
                    " '%(label)s' always does: it may not come from '%(label)s', so it was"
                    " refused.",
                    label=provider.label,
                )
                + " "
                + again
            )
        return
    if iss.rstrip("/") != meta.issuer.rstrip("/"):
        raise FederatedSignInFailed(
            gettext(
                request,
                "The sign-in answer comes from the identity provider %(iss)s, not from"
                " '%(label)s', so it was refused.",
                iss=repr(iss),
                label=provider.label,
            )
            + " "
            + again
        )


async def provider_sign_out(
    request: Request, federated: credentials.FederatedSession
) -> Response | None:
    """After the web session is closed: the redirect that ends the provider's session too
    (RP-initiated logout), or None when that provider offers none."""
    provider = next((p for p in get_infra(request).site.oidc if p.name == federated.provider), None)
    if provider is None:  # the [[oidc]] section was removed since the sign-in
        return None
    settings = _settings(request)
    signed_out = gettext(request, "You are signed out.")
    try:
        meta = await discover(provider)
    except AppError as exc:
        log.warning("sign-out at %s skipped: %s", provider.name, exc.detail)
        response = redirect(request, "/login", signed_out, "info")
        warning = gettext(
            request,
            "'%(label)s' could not be reached to end your session there too: if this"
            " computer is shared, sign out at '%(label)s' yourself or close the browser.",
            label=provider.label,
        )
        flash(request, response, warning, "error")
        return response
    url = end_session_url(
        provider,
        meta,
        id_token=federated.id_token,
        post_logout_redirect_uri=post_logout_redirect_uri(settings),
    )
    if url is None:
        return None
    # The message waits in its cookie until the provider sends the browser back.
    return redirect(request, url, signed_out, "info")
