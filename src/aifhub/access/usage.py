"""Usage reports of a project: balances, daily rows, CSV, and an SVG plot against the grant."""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from html import escape

from babel.dates import format_date
from babel.numbers import format_decimal
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.access.ledger import usage_by_allocation
from aifhub.access.models import Allocation, LedgerEntry, LedgerKind
from aifhub.core import csvsafe
from aifhub.core.i18n import translations
from aifhub.identity import get_project
from aifhub.identity.models import User
from aifhub.resources import Partition
from aifhub.schemas.access import AllocationUsage, ProjectUsage, UsageRow


async def project_usage(session: AsyncSession, actor: User, slug: str) -> ProjectUsage:
    """Balances of each allocation of a visible project and its charges per user/partition/day."""
    project = await get_project(session, actor, slug)
    allocs = list(
        (
            await session.execute(
                select(Allocation, Partition)
                .join(Partition, Partition.id == Allocation.partition_id)
                .where(Allocation.project_id == project.id)
                .order_by(Allocation.starts_at, Allocation.id)
            )
        ).all()
    )
    sums = await usage_by_allocation(session, [a.id for a, _ in allocs])
    balances = []
    for alloc, part in allocs:
        reserved, used = sums[alloc.id]
        granted = Decimal(alloc.amount)
        balances.append(
            AllocationUsage(
                allocation_id=alloc.id,
                partition=part.key,
                unit=part.unit,
                starts_at=alloc.starts_at,
                ends_at=alloc.ends_at,
                state=alloc.state,
                granted=granted,
                reserved=reserved,
                used=used,
                remaining=granted - reserved - used,
            )
        )
    keys = {a.id: p.key for a, p in allocs}
    day = func.date(LedgerEntry.at)
    rows = await session.execute(
        select(
            LedgerEntry.allocation_id,
            day,
            User.email,
            LedgerEntry.login,
            func.sum(LedgerEntry.amount),
            func.count(),
        )
        .outerjoin(User, User.id == LedgerEntry.user_id)
        .where(
            LedgerEntry.allocation_id.in_(list(keys)),
            LedgerEntry.kind.in_([LedgerKind.CHARGE.value, LedgerKind.ADJUST.value]),
        )
        .group_by(LedgerEntry.allocation_id, day, User.email, LedgerEntry.login)
        .order_by(day, LedgerEntry.allocation_id)
    )
    merged: dict[tuple[int, str, str], list[Decimal | int]] = {}
    for alloc_id, d, email, login, total, count in rows.all():
        key = (alloc_id, str(d), email or (f"login:{login}" if login else "staff adjustment"))
        cell = merged.setdefault(key, [Decimal(0), 0])
        cell[0] = Decimal(cell[0]) + Decimal(total or 0)
        cell[1] = int(cell[1]) + int(count)
    usage_rows = [
        UsageRow(
            allocation_id=a,
            day=d,
            user=u,
            partition=keys[a],
            hours=Decimal(v[0]),
            jobs=int(v[1]),
        )
        for (a, d, u), v in merged.items()
    ]
    return ProjectUsage(project=project.slug, allocations=balances, rows=usage_rows)


def usage_csv(usage: ProjectUsage) -> str:
    """The daily rows as CSV (one line per allocation, day, user, partition)."""
    out = io.StringIO()
    writer = csvsafe.writer(out)
    writer.writerow(["day", "allocation_id", "partition", "user", "hours", "jobs"])
    for r in usage.rows:
        writer.writerow([r.day, r.allocation_id, r.partition, r.user, f"{r.hours}", r.jobs])
    return out.getvalue()


def usage_svg(
    usage: ProjectUsage, *, locale: str = "en", width: int = 640, height: int = 240
) -> str:
    """Cumulative use of each allocation against its grant, as an inline SVG (no JavaScript),
    its texts, numbers and dates in `locale`."""
    pad = 40
    _ = translations(locale).gettext

    def num(value: Decimal) -> str:
        return format_decimal(value, locale=locale)

    if not usage.allocations:
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'role="img" aria-label="{escape(_("No allocation yet"))}">'
            f'<text x="{pad}" y="{height // 2}">{escape(_("No allocation yet"))}</text></svg>'
        )
    starts = min(a.starts_at for a in usage.allocations).date()
    ends = max(a.ends_at for a in usage.allocations).date()
    span = max((ends - starts).days, 1)
    top = max(max(a.granted for a in usage.allocations), Decimal(1))
    per_day: dict[int, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for r in usage.rows:
        per_day[r.allocation_id][date.fromisoformat(r.day)] += r.hours

    def x(d: date) -> float:
        return pad + (width - 2 * pad) * (d - starts).days / span

    def y(v: Decimal) -> float:
        return height - pad - float((height - 2 * pad) * v / top)

    colours = ["#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df"]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(_("Use of the hours against the allocation"))}">',
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        'stroke="#888"/>',
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="#888"/>',
        f'<text x="{pad}" y="{height - 8}" font-size="11">'
        f"{escape(format_date(starts, 'medium', locale=locale))}</text>",
        f'<text x="{width - pad}" y="{height - 8}" font-size="11" text-anchor="end">'
        f"{escape(format_date(ends, 'medium', locale=locale))}</text>",
        f'<text x="4" y="{pad - 6}" font-size="11">{escape(num(top))} h</text>',
    ]
    for i, a in enumerate(usage.allocations):
        colour = colours[i % len(colours)]
        s, e = a.starts_at.date(), a.ends_at.date()
        on = {"partition": a.partition}
        granted = _("%(hours)s h granted on %(partition)s") % {**on, "hours": num(a.granted)}
        parts.append(
            f'<line x1="{x(s):.1f}" y1="{y(a.granted):.1f}" x2="{x(e):.1f}" '
            f'y2="{y(a.granted):.1f}" stroke="{colour}" stroke-dasharray="4 3">'
            f"<title>{escape(granted)}</title></line>"
        )
        total = Decimal(0)
        points = [f"{x(s):.1f},{y(total):.1f}"]
        for d in sorted(per_day[a.allocation_id]):
            total += per_day[a.allocation_id][d]
            points.append(f"{x(d):.1f},{y(total):.1f}")
        used = _("%(hours)s h used on %(partition)s") % {**on, "hours": num(total)}
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
            f'points="{" ".join(points)}"><title>{escape(used)}</title></polyline>'
        )
    parts.append("</svg>")
    return "".join(parts)


def as_of(value: datetime) -> str:
    """A short UTC timestamp for pages."""
    return value.strftime("%Y-%m-%d %H:%M UTC")
