"""Automatic eligibility: organisation kind and country, size, duration, partitions, kind."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.access.models import Allocation
from aifhub.access.modes import ModeSpec
from aifhub.identity.models import Organisation, Project
from aifhub.resources import Partition


@dataclass
class Draft:
    """What the checks look at (an application being created, changed or submitted)."""

    kind: str
    duration_months: int
    items: list[tuple[Partition, Decimal]]
    fallbacks: list[Partition]
    allocation: Allocation | None = None


async def check(
    session: AsyncSession,
    *,
    spec: ModeSpec,
    project: Project,
    org: Organisation,
    draft: Draft,
) -> list[str]:
    """Every eligibility failure of a draft under a mode (empty when it may go ahead)."""
    failures: list[str] = []
    if org.kind not in spec.org_kinds:
        kinds = ", ".join(spec.org_kinds)
        failures.append(
            f"{spec.name} is open to these organisation kinds: {kinds}; "
            f"'{org.name}' is a {org.kind}."
        )
    if org.country not in spec.country_codes:
        failures.append(
            f"{spec.name} is open to organisations established in the EU or an associated country; "
            f"'{org.name}' is in {org.country}."
        )
    if spec.new_users_only and draft.kind == "new":
        has_alloc = await session.scalar(
            select(Allocation.id)
            .join(Project, Project.id == Allocation.project_id)
            .where(Project.org_id == org.id)
            .limit(1)
        )
        if has_alloc is not None:
            failures.append(
                f"{spec.name} is for organisations new to the factory and '{org.name}' already "
                "holds allocations; apply to another mode."
            )
    if draft.duration_months not in spec.durations_months:
        allowed = ", ".join(str(m) for m in spec.durations_months)
        failures.append(f"{spec.name} grants {allowed} months; {draft.duration_months} was asked.")
    failures += _size_failures(spec, draft)
    requested = {p.id for p, _ in draft.items}
    for p in [p for p, _ in draft.items] + draft.fallbacks:
        if not p.enabled:
            failures.append(f"Partition '{p.key}' is closed; choose another.")
    if any(p.id in requested for p in draft.fallbacks):
        failures.append("A fallback partition must differ from the partitions asked for.")
    if spec.requires_fallback and not draft.fallbacks:
        failures.append(
            f"{spec.name} needs at least one fallback partition, in case a machine is full."
        )
    failures += _kind_failures(spec, project, draft)
    return failures


def _size_failures(spec: ModeSpec, draft: Draft) -> list[str]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for p, amount in draft.items:
        totals[p.unit] += amount
    out = []
    if spec.max_hours:
        for unit in totals:
            if unit not in spec.max_hours and unit not in spec.min_hours:
                out.append(f"{spec.name} does not grant {unit}; remove those partitions.")
    for unit, most in spec.max_hours.items():
        if totals.get(unit, Decimal(0)) > most:
            out.append(f"{spec.name} grants at most {most} {unit}; {totals[unit]} were asked.")
    for unit, least in spec.min_hours.items():
        if totals.get(unit, Decimal(0)) < least:
            out.append(
                f"{spec.name} is for at least {least} {unit}; {totals.get(unit, 0)} were asked "
                "(a smaller request belongs to another mode)."
            )
    return out


def _kind_failures(spec: ModeSpec, project: Project, draft: Draft) -> list[str]:
    if draft.kind == "new":
        return [] if draft.allocation is None else ["A new application names no allocation."]
    if draft.allocation is None or draft.allocation.project_id != project.id:
        return [f"A {draft.kind} names an allocation of project '{project.slug}'."]
    if draft.kind == "renewal" and not spec.renewable:
        return [f"{spec.name} allocations are not renewable; apply again instead."]
    if draft.kind == "top_up":
        if not spec.top_ups:
            return [f"{spec.name} allocations take no top-ups; apply again instead."]
        if {p.id for p, _ in draft.items} != {draft.allocation.partition_id}:
            return ["A top-up asks hours on the allocation's own partition only."]
    return []
