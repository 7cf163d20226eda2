"""Access modes (calls): parsed from the site file or the packaged defaults, synced to a table."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.access.models import AccessMode
from aifhub.core import audit
from aifhub.core.config import SiteConfig
from aifhub.core.errors import NotFound
from aifhub.schemas.enums.identity import OrgKind

DEFAULTS_FILE = Path(__file__).with_name("default_modes.toml")
CRITERIA = ["feasibility", "quality", "impact", "resources"]


class ReviewStep(BaseModel):
    """A review stage of a mode and how many submitted reviews it needs."""

    model_config = ConfigDict(extra="forbid")
    step: Literal["technical", "peer"]
    min_reviews: int = Field(1, ge=0, le=10)


class ModeSpec(BaseModel):
    """One access mode as configured: who may apply, for how much, how it is reviewed."""

    model_config = ConfigDict(extra="forbid")

    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,40}$")
    name: str
    description: str = ""
    org_kinds: list[OrgKind]
    # ISO codes and/or names of country groups ("eu", "horizon_associated"...).
    countries: list[str]
    new_users_only: bool = False
    min_hours: dict[str, Decimal] = {}
    max_hours: dict[str, Decimal] = {}
    durations_months: list[int] = Field(min_length=1)
    deadline_working_days: int = Field(ge=0, le=200)
    cutoffs: list[str] = []
    requires_fallback: bool = False
    review_steps: list[ReviewStep] = []
    criteria: list[str] = CRITERIA
    decider_role: Literal["reviewer", "admin"] = "reviewer"
    auto_decide: bool = False
    renewable: bool = False
    top_ups: bool = False
    enabled: bool = True
    # Resolved ISO codes (filled from `countries` and the groups).
    country_codes: list[str] = []

    @field_validator("cutoffs")
    @classmethod
    def _cutoffs(cls, value: list[str]) -> list[str]:
        for mmdd in value:
            month, _, dom = mmdd.partition("-")
            if not (month.isdigit() and dom.isdigit() and 1 <= int(month) <= 12):
                raise ValueError(f"cut-off '{mmdd}' must be written MM-DD")
        return value

    def needs(self, step: str) -> int:
        """Submitted reviews required at a step (0 when the mode has no such step)."""
        return next((s.min_reviews for s in self.review_steps if s.step == step), 0)

    def has_step(self, step: str) -> bool:
        """Whether the mode goes through this review step."""
        return any(s.step == step for s in self.review_steps)


def _defaults() -> dict[str, Any]:
    with DEFAULTS_FILE.open("rb") as fh:
        return tomllib.load(fh)


def parse_modes(
    raw: list[dict[str, Any]] | None,
    groups: dict[str, list[str]] | None = None,
    *,
    demo: bool = False,
) -> list[ModeSpec]:
    """Validate [[access_modes]] entries (the packaged defaults when raw is None).

    `demo` applies the defaults' [demo] settings to the built-in modes (never to a site's own).
    """
    defaults = _defaults()
    entries = defaults["access_modes"] if raw is None else raw
    if raw is None and demo:
        auto = set(defaults["demo"]["auto_decide"])
        entries = [{**e, "auto_decide": e["slug"] in auto or e.get("auto_decide", False)}
                   for e in entries]  # fmt: skip
    groups = {**defaults["country_groups"], **(groups or {})}
    specs: list[ModeSpec] = []
    for i, entry in enumerate(entries):
        try:
            spec = ModeSpec.model_validate(entry)
        except ValidationError as exc:
            raise ValueError(f"[[access_modes]] entry {i + 1}: {exc}") from exc
        codes: list[str] = []
        for c in spec.countries:
            codes.extend(groups.get(c, [c.upper()] if len(c) == 2 else []))
            if c not in groups and len(c) != 2:
                raise ValueError(f"access mode '{spec.slug}': unknown country group '{c}'")
        spec.country_codes = sorted(set(codes))
        specs.append(spec)
    slugs = [s.slug for s in specs]
    if len(set(slugs)) != len(slugs):
        raise ValueError("[[access_modes]] slugs must be unique")
    return specs


def modes_from_site(site: SiteConfig, *, demo: bool = False) -> list[ModeSpec]:
    """The modes a site declares, or the built-in ones (with the demo's settings in a demo)."""
    return parse_modes(site.section("access_modes"), site.section("country_groups"), demo=demo)


async def sync_modes(session: AsyncSession, specs: list[ModeSpec]) -> list[AccessMode]:
    """Make the access_modes table match the configuration; undeclared modes are disabled."""
    rows = {m.slug: m for m in await session.scalars(select(AccessMode))}
    for spec in specs:
        config = spec.model_dump(mode="json")
        row = rows.get(spec.slug)
        if row is None:
            row = AccessMode(slug=spec.slug, name=spec.name, config=config, enabled=spec.enabled)
            session.add(row)
            rows[spec.slug] = row
            await session.flush()
            await audit.record(session, "access_mode.create", "access_mode", spec.slug)
        elif row.config != config or row.name != spec.name or row.enabled != spec.enabled:
            row.name, row.config, row.enabled = spec.name, config, spec.enabled
            await audit.record(session, "access_mode.update", "access_mode", spec.slug)
    declared = {s.slug for s in specs}
    for slug, row in rows.items():
        if slug not in declared and row.enabled:
            row.enabled = False
            await audit.record(session, "access_mode.disable", "access_mode", slug)
    await session.flush()
    return [rows[s.slug] for s in specs]


def spec_of(mode: AccessMode) -> ModeSpec:
    """The configuration stored with a mode row."""
    return ModeSpec.model_validate(mode.config)


async def mode_spec(session: AsyncSession, mode_id: int) -> ModeSpec:
    """The rules of a mode by id (an application's `mode_id`, even once the mode closed)."""
    mode = await session.get(AccessMode, mode_id)
    if mode is None:
        raise NotFound(f"No access mode {mode_id}.")
    return spec_of(mode)


async def get_mode(session: AsyncSession, slug: str) -> AccessMode:
    """An enabled mode by slug (404 naming the available ones)."""
    mode = await session.scalar(select(AccessMode).where(AccessMode.slug == slug))
    if mode is None or not mode.enabled:
        names = await session.scalars(select(AccessMode.slug).where(AccessMode.enabled))
        raise NotFound(f"No open access mode '{slug}'; open modes: {', '.join(names) or 'none'}.")
    return mode


async def list_modes(session: AsyncSession) -> list[AccessMode]:
    """The enabled modes, in declaration order."""
    return list(
        await session.scalars(select(AccessMode).where(AccessMode.enabled).order_by(AccessMode.id))
    )
