"""Federated users from verified claims (nested claims, role mapping) and the ID token checks."""

from __future__ import annotations

import re
import socket
import time
import tomllib
from pathlib import Path

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import func, select
from starlette.requests import Request

from aifhub.app import create_app
from aifhub.core.audit import AuditEvent
from aifhub.core.config import OIDCProvider, Settings, SiteConfig
from aifhub.core.errors import Conflict, InvalidInput, NotAuthenticated, ServiceUnavailable
from aifhub.identity import oidc_client
from aifhub.identity.credentials import claim_value, federated_login
from aifhub.identity.models import ExternalIdentity, StaffRoleGrant, User
from aifhub.identity.oidc import oidc_providers
from aifhub.identity.oidc_client import FederatedSignInFailed, ProviderMetadata, verify_id_token
from aifhub.schemas.enums.identity import StaffRole

from ..factories import make_user

# A federation whose claims are nested, as Keycloak's realm roles or an eduGAIN proxy's.
FEDERATION = OIDCProvider(
    name="edu",
    label="eduGAIN",
    issuer="https://proxy.example.eu",
    client_id="aifhub",
    email_claim="contact.mail",
    name_claim="contact.display_name",
    role_claims={
        "realm_access.roles": {"factory-admin": "admin"},
        "entitlements": {"urn:geant:example.eu:group:aifhub:reviewers": "reviewer"},
    },
)


def claims(**extra: object) -> dict[str, object]:
    return {
        "sub": "u-123",
        "contact": {"mail": "Grace@Uni.example", "display_name": "Grace Hopper"},
        "realm_access": {"roles": ["factory-admin", "offline_access"]},
        "entitlements": ["urn:geant:example.eu:group:aifhub:reviewers"],
        **extra,
    }


def test_claim_value_reaches_nested_claims():
    c = claims()
    assert claim_value(c, "contact.mail") == "Grace@Uni.example"
    assert claim_value(c, "realm_access.roles") == ["factory-admin", "offline_access"]
    assert claim_value(c, "contact.nothing") is None
    assert claim_value(c, "sub.deeper") is None


async def test_nested_claims_create_user_with_mapped_roles(db):
    # Roles reach only an account whose address is proven: here the provider vouches for it.
    user = await federated_login(db, provider=FEDERATION, claims=claims(email_verified=True))
    await db.commit()
    assert user.email == "grace@uni.example" and user.name == "Grace Hopper"
    assert user.roles == {"admin", "reviewer"}
    assert user.password_hash is None
    link = await db.scalar(select(ExternalIdentity))
    assert (link.provider, link.subject, link.user_id) == ("edu", "u-123", user.id)
    assert link.claims["realm_access"] == {"roles": ["factory-admin", "offline_access"]}
    actions = set(await db.scalars(select(AuditEvent.action)))
    assert {"user.create", "user.federated_login", "user.staff_roles"} <= actions


async def test_role_dropped_by_the_provider_is_withdrawn_manual_ones_stay(db):
    user = await federated_login(db, provider=FEDERATION, claims=claims(email_verified=True))
    user.staff_roles.append(StaffRoleGrant(role="expert"))  # granted by a staff admin
    await db.commit()
    again = await federated_login(db, provider=FEDERATION, claims=claims(entitlements=[]))
    await db.commit()
    assert again.id == user.id
    assert again.roles == {"admin", "expert"}
    event = await db.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == "user.staff_roles")
        .order_by(AuditEvent.id.desc())
    )
    assert event.details["withdrawn"] == ["reviewer"] and event.details["by"] == "oidc:edu"
    assert await db.scalar(select(func.count()).select_from(User)) == 1


async def test_existing_account_is_linked_only_with_a_verified_email(db):
    local = await make_user(db, "grace@uni.example")
    with pytest.raises(Conflict, match="sign in with that account's password"):
        await federated_login(db, provider=FEDERATION, claims=claims())
    await db.rollback()
    assert await db.scalar(select(func.count()).select_from(ExternalIdentity)) == 0
    user = await federated_login(db, provider=FEDERATION, claims=claims(email_verified="true"))
    assert user.id == local.id


async def test_a_trusted_federation_links_by_email(db):
    local = await make_user(db, "grace@uni.example")
    trusted = FEDERATION.model_copy(update={"trust_email": True})
    user = await federated_login(db, provider=trusted, claims=claims())
    assert user.id == local.id


async def test_disabled_account_cannot_sign_in(db):
    user = await federated_login(db, provider=FEDERATION, claims=claims())
    user.is_active = False
    await db.commit()
    with pytest.raises(NotAuthenticated, match="disabled"):
        await federated_login(db, provider=FEDERATION, claims=claims())


async def test_bad_claims_and_bad_mapping_are_refused(db):
    with pytest.raises(InvalidInput, match="'sub'"):
        await federated_login(db, provider=FEDERATION, claims=claims(sub=""))
    no_mail = claims()
    no_mail["contact"] = {"display_name": "X"}
    with pytest.raises(InvalidInput, match="no usable e-mail claim 'contact.mail'"):
        await federated_login(db, provider=FEDERATION, claims=no_mail)
    wrong = FEDERATION.model_copy(
        update={"role_claims": {"realm_access.roles": {"factory-admin": "god"}}}
    )
    with pytest.raises(ServiceUnavailable, match="unknown staff role 'god'"):
        await federated_login(db, provider=wrong, claims=claims())
    assert await db.scalar(select(func.count()).select_from(User)) == 0


def test_oidc_providers_for_the_login_page(tmp_path):
    site = tmp_path / "site.toml"
    site.write_text(
        '[[oidc]]\nname = "keycloak"\nlabel = "Institution"\nissuer = "https://kc.example/realms/x"\n'
        'client_id = "aifhub"\n'
    )
    app = create_app(Settings(site_file=site, secret_key="x"), check_schema=False)
    request = Request({"type": "http", "app": app, "headers": []})
    [link] = oidc_providers(request)
    assert (link.name, link.label, link.url) == (
        "keycloak",
        "Institution",
        "/auth/oidc/keycloak/login",
    )
    [link] = oidc_providers(request, next_path="/projects/x?tab=jobs&page=2")
    assert link.url == "/auth/oidc/keycloak/login?next=%2Fprojects%2Fx%3Ftab%3Djobs%26page%3D2"
    [link] = oidc_providers(request, next_path="https://evil.example/")
    assert link.url == "/auth/oidc/keycloak/login"


# ---------------------------------------------------------------- ID token checks

KEY = RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256", "use": "sig"})
META = ProviderMetadata(
    issuer="https://idp.example",
    authorization_endpoint="https://idp.example/auth",
    token_endpoint="https://idp.example/token",
    jwks_uri="https://idp.example/jwks-unit-test",
    userinfo_endpoint=None,
    token_auth_methods=("client_secret_basic",),
    id_token_algs=("RS256",),
)
IDP = OIDCProvider(name="idp", issuer=META.issuer, client_id="aifhub")


@pytest.fixture(autouse=True)
def _provider_keys():
    # What discovery would have fetched from the provider's JWKS: these tests sign their own
    # ID tokens, which a real provider never signs badly on request.
    oidc_client._cache[META.jwks_uri] = (time.monotonic(), {"keys": [KEY.as_dict(private=False)]})
    yield
    oidc_client._cache.pop(META.jwks_uri, None)


def id_token(key: RSAKey = KEY, alg: str = "RS256", **overrides: object) -> str:
    now = int(time.time())
    payload = {
        "iss": META.issuer,
        "sub": "u-1",
        "aud": "aifhub",
        "iat": now,
        "exp": now + 300,
        "nonce": "n-1",
        "email": "a@b.eu",
        **overrides,
    }
    return jwt.encode({"alg": alg, "kid": "k1"}, payload, key)


async def verify(token: str, nonce: str = "n-1") -> dict[str, object]:
    return await verify_id_token(IDP, META, id_token=token, nonce=nonce, access_token=None)


async def test_a_valid_id_token_gives_its_claims():
    got = await verify(id_token())
    assert got["sub"] == "u-1" and got["email"] == "a@b.eu"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"nonce": "replayed"}, "nonce"),
        ({"aud": "another-client"}, "aud"),
        ({"iss": "https://evil.example"}, "iss"),
        ({"exp": int(time.time()) - 3600}, "expired"),
    ],
)
async def test_id_token_with_wrong_claims_is_refused(overrides, reason):
    with pytest.raises(FederatedSignInFailed, match=reason):
        await verify(id_token(**overrides))


async def test_id_token_signed_by_another_key_is_refused():
    forged = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    with pytest.raises(FederatedSignInFailed, match="not valid"):
        await verify(id_token(key=forged))


async def test_unsigned_id_token_is_refused():
    header = "eyJhbGciOiJub25lIn0"  # {"alg":"none"}
    body = id_token().split(".")[1]
    with pytest.raises(FederatedSignInFailed, match="not valid"):
        await verify(f"{header}.{body}.")


def test_the_site_file_examples_of_the_operator_doc_are_valid():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "oidc.md").read_text()
    blocks = re.findall(r"```toml\n(.*?)```", doc, flags=re.S)
    names = []
    for block in blocks:
        site = SiteConfig.model_validate(tomllib.loads(block))
        for provider in site.oidc:
            names.append(provider.name)
            for mapping in provider.role_claims.values():
                assert set(mapping.values()) <= {r.value for r in StaffRole}
    assert names == ["keycloak", "myaccessid"]


async def test_unreachable_provider_is_a_502_that_says_so(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    site = tmp_path / "site.toml"
    site.write_text(
        f'[[oidc]]\nname = "down"\nlabel = "Down IdP"\nissuer = "http://127.0.0.1:{port}"\n'
        'client_id = "aifhub"\n'
    )
    app = create_app(Settings(site_file=site, secret_key="x"), check_schema=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        r = await http.get("/auth/oidc/down/login")
    assert r.status_code == 502
    assert "'Down IdP' cannot be reached" in r.json()["detail"]
    assert "aifhub_oidc" not in r.cookies
