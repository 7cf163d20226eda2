"""The OpenID Connect relying party: discovery, the authorization request, the code exchange,
the ID token and userinfo checks. No HTTP routes and no database here (see `oidc.py`).

Built on authlib's protocol pieces (PKCE, ID token claim rules) and joserfc (JWS signatures)
over plain httpx, so nothing here depends on authlib's deprecated httpx integration.
"""

from __future__ import annotations

import base64
import hmac
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from authlib.common.security import generate_token
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from aifhub.core.config import OIDCProvider
from aifhub.core.errors import AppError

HTTP_TIMEOUT_S = 10.0
METADATA_TTL_S = 300.0
# Clock skew tolerated between the provider and this server when checking exp/iat.
LEEWAY_S = 60


class FederatedSignInFailed(AppError):
    """The provider's answer cannot be accepted; the user starts the sign-in again."""

    status, type, title = 400, "federated-sign-in-failed", "Federated sign-in failed"


class IdentityProviderUnavailable(AppError):
    """The provider cannot be reached or answers nonsense: not the user's fault."""

    status, type, title = 502, "identity-provider-unavailable", "Identity provider unavailable"


@dataclass(frozen=True)
class ProviderMetadata:
    """What the provider's discovery document says about its endpoints."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    token_auth_methods: tuple[str, ...]
    id_token_algs: tuple[str, ...]
    # RP-initiated logout: where to send the browser to end the provider's own session.
    end_session_endpoint: str | None = None
    # RFC 9207: the provider promises an `iss` parameter on every authorization response.
    iss_parameter_supported: bool = False


@dataclass(frozen=True)
class SignedIn:
    """A finished sign-in: the verified claims and the raw ID token they came from."""

    claims: dict[str, Any]
    id_token: str


@dataclass(frozen=True)
class AuthorizationRequest:
    """Where to send the browser, and the secrets to keep until the callback."""

    url: str
    state: str
    nonce: str
    code_verifier: str


# A per-process cache of public documents (discovery, JWKS), never of anyone's sign-in state:
# losing it costs one fetch, and every web process fills its own.
_cache: dict[str, tuple[float, Any]] = {}


def _cached(key: str) -> Any:
    hit = _cache.get(key)
    if hit and time.monotonic() - hit[0] < METADATA_TTL_S:
        return hit[1]
    return None


async def _get_json(provider: OIDCProvider, url: str, **kwargs: Any) -> dict[str, Any]:
    try:
        async with httpx.AsyncClient(verify=provider.verify_tls, timeout=HTTP_TIMEOUT_S) as client:
            response = await client.get(url, **kwargs)
    except httpx.HTTPError as exc:
        raise IdentityProviderUnavailable(
            f"The identity provider '{provider.label}' cannot be reached ({exc.__class__.__name__}"
            f" on {url}); try again later or use another way to sign in."
        ) from exc
    if response.status_code != 200:
        raise IdentityProviderUnavailable(
            f"The identity provider '{provider.label}' answered {response.status_code} on {url};"
            " try again later."
        )
    try:
        body = response.json()
    except ValueError as exc:
        raise IdentityProviderUnavailable(
            f"The identity provider '{provider.label}' sent something other than JSON on {url}."
        ) from exc
    if not isinstance(body, dict):
        raise IdentityProviderUnavailable(f"Unexpected document from {url}.")
    return body


async def discover(provider: OIDCProvider) -> ProviderMetadata:
    """The provider's endpoints, from `{issuer}/.well-known/openid-configuration` (cached)."""
    url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
    cached = _cached(url)
    if cached is not None:
        return cached
    doc = await _get_json(provider, url)
    # OpenID Connect Discovery §4.3: the document must name the issuer it was fetched for.
    if doc.get("issuer", "").rstrip("/") != provider.issuer.rstrip("/"):
        raise IdentityProviderUnavailable(
            f"The discovery document at {url} names issuer {doc.get('issuer')!r}, not"
            f" {provider.issuer!r}: fix `issuer` in the [[oidc]] section '{provider.name}'."
        )
    try:
        meta = ProviderMetadata(
            issuer=doc["issuer"],
            authorization_endpoint=doc["authorization_endpoint"],
            token_endpoint=doc["token_endpoint"],
            jwks_uri=doc["jwks_uri"],
            userinfo_endpoint=doc.get("userinfo_endpoint"),
            token_auth_methods=tuple(
                doc.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
            ),
            id_token_algs=tuple(
                a
                for a in doc.get("id_token_signing_alg_values_supported") or ["RS256"]
                # "none" and HMAC are not accepted: the signature must come from the JWKS.
                if a != "none" and not a.startswith("HS")
            ),
            end_session_endpoint=doc.get("end_session_endpoint") or None,
            iss_parameter_supported=doc.get("authorization_response_iss_parameter_supported")
            is True,
        )
    except KeyError as exc:
        raise IdentityProviderUnavailable(
            f"The discovery document at {url} lacks {exc.args[0]!r}."
        ) from exc
    _cache[url] = (time.monotonic(), meta)
    return meta


async def _key_set(provider: OIDCProvider, meta: ProviderMetadata, *, force: bool) -> KeySet:
    cached = None if force else _cached(meta.jwks_uri)
    if cached is None:
        cached = await _get_json(provider, meta.jwks_uri)
        _cache[meta.jwks_uri] = (time.monotonic(), cached)
    try:
        return KeySet.import_key_set(cached)  # type: ignore[arg-type]
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise IdentityProviderUnavailable(
            f"The provider's key set at {meta.jwks_uri} cannot be read ({exc})."
        ) from exc


def authorization_request(
    provider: OIDCProvider, meta: ProviderMetadata, *, redirect_uri: str
) -> AuthorizationRequest:
    """An authorization-code request with PKCE (S256), `state` and `nonce`."""
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    url = add_params_to_uri(
        meta.authorization_endpoint,
        [
            ("response_type", "code"),
            ("client_id", provider.client_id),
            ("redirect_uri", redirect_uri),
            ("scope", provider.scopes),
            ("state", state),
            ("nonce", nonce),
            ("code_challenge", create_s256_code_challenge(verifier)),
            ("code_challenge_method", "S256"),
        ],
    )
    return AuthorizationRequest(url=url, state=state, nonce=nonce, code_verifier=verifier)


def same_secret(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two secrets (False when either is missing)."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


async def exchange_code(
    provider: OIDCProvider,
    meta: ProviderMetadata,
    *,
    code: str,
    redirect_uri: str,
    code_verifier: str,
) -> dict[str, Any]:
    """Trade the authorization code (and the PKCE verifier) for tokens."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": code_verifier,
    }
    headers = {"Accept": "application/json"}
    if not provider.client_secret:
        form["client_id"] = provider.client_id  # a public client
    elif "client_secret_basic" in meta.token_auth_methods:
        # RFC 6749 §2.3.1: id and secret are form-encoded before the Basic encoding.
        pair = f"{quote(provider.client_id, safe='')}:{quote(provider.client_secret, safe='')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    else:
        form.update(client_id=provider.client_id, client_secret=provider.client_secret)
    try:
        async with httpx.AsyncClient(verify=provider.verify_tls, timeout=HTTP_TIMEOUT_S) as client:
            response = await client.post(meta.token_endpoint, data=form, headers=headers)
    except httpx.HTTPError as exc:
        raise IdentityProviderUnavailable(
            f"The identity provider '{provider.label}' cannot be reached to finish the sign-in"
            f" ({exc.__class__.__name__}); try again later."
        ) from exc
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200 or not isinstance(body, dict):
        error = body.get("error", response.status_code) if isinstance(body, dict) else ""
        text = body.get("error_description", "") if isinstance(body, dict) else ""
        if response.status_code in (400, 401):
            raise FederatedSignInFailed(
                f"The identity provider '{provider.label}' refused the authorization code"
                f" ({error}: {text}). Start the sign-in again."
            )
        raise IdentityProviderUnavailable(
            f"The identity provider '{provider.label}' failed to issue tokens ({error})."
        )
    if not body.get("id_token"):
        raise FederatedSignInFailed(
            f"The identity provider '{provider.label}' returned no ID token; check that the"
            " [[oidc]] `scopes` include 'openid'."
        )
    return body


async def verify_id_token(
    provider: OIDCProvider,
    meta: ProviderMetadata,
    *,
    id_token: str,
    nonce: str,
    access_token: str | None,
) -> dict[str, Any]:
    """The claims of an ID token whose signature (JWKS), iss, aud, exp and nonce are valid."""
    registry = JWSRegistry(algorithms=list(meta.id_token_algs))
    try:
        try:
            keys = await _key_set(provider, meta, force=False)
            token = jwt.decode(id_token, keys, registry=registry)
        except InvalidKeyIdError:
            # The provider rotated its keys since we cached them.
            keys = await _key_set(provider, meta, force=True)
            token = jwt.decode(id_token, keys, registry=registry)
        claims = CodeIDToken(
            token.claims,
            token.header,
            {
                "iss": {"essential": True, "value": meta.issuer},
                "aud": {"essential": True, "value": provider.client_id},
            },
            {"nonce": nonce, "client_id": provider.client_id, "access_token": access_token},
        )
        claims.validate(leeway=LEEWAY_S)
    except JoseError as exc:
        raise FederatedSignInFailed(
            f"The ID token from '{provider.label}' is not valid ({exc.error}:"
            f" {exc.description or exc}). Start the sign-in again; if it persists, the"
            " provider or its [[oidc]] section is misconfigured."
        ) from exc
    return dict(claims)


async def fetch_userinfo(
    provider: OIDCProvider, meta: ProviderMetadata, *, access_token: str, subject: str
) -> dict[str, Any]:
    """The userinfo claims, which must be about the ID token's subject ({} without endpoint)."""
    if not meta.userinfo_endpoint:
        return {}
    info = await _get_json(
        provider, meta.userinfo_endpoint, headers={"Authorization": f"Bearer {access_token}"}
    )
    if str(info.get("sub")) != subject:
        raise FederatedSignInFailed(
            f"The userinfo from '{provider.label}' is about another subject than the ID token."
        )
    return info


async def complete_sign_in(
    provider: OIDCProvider,
    *,
    code: str,
    redirect_uri: str,
    code_verifier: str,
    nonce: str,
) -> SignedIn:
    """Exchange the code; the verified claims (ID token, completed by userinfo) and the token."""
    meta = await discover(provider)
    tokens = await exchange_code(
        provider, meta, code=code, redirect_uri=redirect_uri, code_verifier=code_verifier
    )
    access_token = tokens.get("access_token")
    claims = await verify_id_token(
        provider, meta, id_token=tokens["id_token"], nonce=nonce, access_token=access_token
    )
    if access_token:
        # Many providers put e-mail, name and groups in userinfo only: the ID token's
        # registered claims (iss, aud, nonce...) win, userinfo completes the rest.
        info = await fetch_userinfo(
            provider, meta, access_token=access_token, subject=str(claims["sub"])
        )
        claims = {**info, **claims}
    return SignedIn(claims=claims, id_token=str(tokens["id_token"]))


def end_session_url(
    provider: OIDCProvider,
    meta: ProviderMetadata,
    *,
    id_token: str,
    post_logout_redirect_uri: str,
) -> str | None:
    """Where to send the browser to end the provider's session (OpenID Connect RP-Initiated
    Logout 1.0), or None when the provider offers no `end_session_endpoint`."""
    if not meta.end_session_endpoint:
        return None
    return add_params_to_uri(
        meta.end_session_endpoint,
        [
            ("id_token_hint", id_token),
            ("client_id", provider.client_id),
            ("post_logout_redirect_uri", post_logout_redirect_uri),
        ],
    )
