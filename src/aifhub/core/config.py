"""One configuration: AIFHUB_* environment variables plus a TOML site file."""

from __future__ import annotations

import os
import secrets
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class OIDCProvider(BaseModel):
    """A federated identity provider (Keycloak, MyAccessID/eduGAIN...)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,30}$")
    label: str = "Federated sign-in"
    issuer: str
    client_id: str
    client_secret: str = ""
    scopes: str = "openid email profile"
    # Claim names mapped onto the user: a federation may call them differently.
    email_claim: str = "email"
    name_claim: str = "name"
    # Claims whose value grants a staff role, e.g. {"groups": {"aifhub-admins": "admin"}}.
    role_claims: dict[str, dict[str, str]] = {}
    # Link a first federated login to an existing account of the same e-mail even without
    # `email_verified` (for federations that verify every e-mail, e.g. MyAccessID).
    trust_email: bool = False
    verify_tls: bool = True


class MailConfig(BaseModel):
    """Outgoing mail; with no host, messages are written to the log."""

    model_config = ConfigDict(extra="forbid")

    host: str | None = None
    port: int = 25
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    sender: str = "aifhub <no-reply@aifhub.local>"


class SiteConfig(BaseModel):
    """What the site file declares. Each domain reads its own section."""

    model_config = ConfigDict(extra="allow")

    factory_name: str = "AI Factory"
    oidc: list[OIDCProvider] = []
    mail: MailConfig = MailConfig()

    def section(self, name: str) -> Any:
        """Return a raw section a domain parses itself (None when absent)."""
        return (self.model_extra or {}).get(name)


class Settings(BaseSettings):
    """Process settings from AIFHUB_* variables; the site file is named by AIFHUB_SITE_FILE."""

    model_config = SettingsConfigDict(env_prefix="AIFHUB_", extra="ignore")

    var_dir: Path = Path("var")
    database_url: str = ""
    site_file: Path | None = None
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:8000"
    secure_cookies: bool = False
    session_hours: int = 12
    # Sign-in throttling: after this many failures in a row an account (or an address) waits
    # login_delay_s before its next attempt, doubling each time up to login_max_delay_s.
    login_max_failures: int = 5
    login_max_failures_per_address: int = 50
    login_delay_s: int = 2
    login_max_delay_s: int = 900
    login_forget_s: int = 86400
    # A password-reset link works once, for this long; an address (account or client) may ask
    # this many links per hour before each further request must wait.
    password_reset_minutes: int = 60
    password_reset_requests: int = 3
    default_locale: str = "en"
    log_sql: bool = False
    run_worker_in_process: bool = True
    max_upload_bytes: int = 50 * 1024**3
    # Any other request body (JSON, forms, cards); uploads have their own limits.
    max_body_bytes: int = 2 * 1024**2
    # Bodies of the anonymous forms (sign-in, registration, password reset).
    max_anonymous_body_bytes: int = 64 * 1024
    # Database connection pool (PostgreSQL and SQLite alike).
    db_pool_size: int = 20
    db_max_overflow: int = 20
    db_pool_timeout_s: float = 30.0
    # A partial upload untouched for this long was left by a dead process: swept at start-up.
    stale_upload_s: int = 3600
    # Cost of new argon2 password hashes: "standard" is argon2-cffi's default (RFC 9106 low
    # memory: 3 passes over 64 MiB); "cheapest" is argon2's minimum, for test suites only.
    # Existing hashes keep verifying either way: each hash carries its own parameters.
    password_hash_cost: Literal["standard", "cheapest"] = "standard"
    # Set by `aifhub serve --demo`: the demo's own choices (Playground decides at once).
    demo: bool = False

    @field_validator("var_dir", "site_file")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        # Every path is resolved once, here: a relative one would mean something else to a
        # job's sandbox, a subprocess or a worker started from another folder.
        return None if value is None else value.expanduser().resolve()

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        # Users write the URL they know; the app needs the async driver.
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        for prefix in ("sqlite:///", "sqlite+aiosqlite:///"):
            if value.startswith(prefix):
                # A relative SQLite file is resolved against the folder the process starts in.
                path = value.removeprefix(prefix)
                if path and path != ":memory:" and not path.startswith("file:"):
                    path = Path(path).expanduser().resolve().as_posix()
                return "sqlite+aiosqlite:///" + path
        return value

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to the embedded SQLite file under var_dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.var_dir / 'aifhub.db').as_posix()}"

    def ensure_var_dir(self) -> None:
        """Create the data folder when missing: its owner's only (0700)."""
        # var/ holds the database, the secret key, the store and the jobs.
        self.var_dir.mkdir(mode=0o700, parents=True, exist_ok=True)

    def resolved_secret_key(self) -> str:
        """The signing key; generated once and kept under var_dir when not configured."""
        if self.secret_key:
            return self.secret_key
        path = self.var_dir / "secret_key"
        if not path.exists():
            # The key is private from its first byte (no chmod window) and written whole to a
            # temp file, then linked into place: a process starting at the same time sees no
            # key or the whole key, and the first one wins.
            self.ensure_var_dir()
            tmp = path.with_name(f"secret_key.{os.getpid()}.{secrets.token_hex(4)}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        return path.read_text().strip()

    def load_site(self) -> SiteConfig:
        """Parse the site file (TOML); defaults when none is configured."""
        if self.site_file is None:
            return SiteConfig()
        with self.site_file.open("rb") as fh:
            return SiteConfig.model_validate(tomllib.load(fh))


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
