"""The usage chart of an allocation: cumulative use by day against the grant, as inline SVG.

Server-rendered (no script, no style attribute: the pages' CSP forbids inline styles), with
axes, ticks in the page's language (dates and numbers through Babel), a legend, a title, and
a <title>/<desc> for screen readers. Every text placed in the SVG is escaped here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html import escape

from babel.dates import format_date
from babel.numbers import format_decimal
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.access.models import LedgerEntry, LedgerKind
from aifhub.core.i18n import N_
from aifhub.schemas.access import AllocationUsage

# Texts of the chart (English msgids; the caller passes its page's translate function).
TEXTS = {
    "title": N_("Use of %(partition)s against its grant"),
    "granted": N_("Granted"),
    "used": N_("Used"),
    "used_reserved": N_("Used + reserved"),
    "x_axis": N_("Date"),
    "y_axis": N_("Hours (%(unit)s)"),
    "desc": N_(
        "From %(start)s to %(end)s: %(used)s hours used and %(reserved)s reserved of "
        "%(granted)s granted; %(left)s left."
    ),
}

W, H = 720, 360
LEFT, RIGHT, TOP, BOTTOM = 78, 20, 44, 92
GRANT, USED, BOOKED = "#9a6700", "#1f6feb", "#8250df"


@dataclass(frozen=True)
class DayMove:
    """What changed on one day of an allocation: hours used, and the change in reserved."""

    day: date
    used: Decimal
    reserved: Decimal


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


async def daily_moves(
    session: AsyncSession, allocation_ids: Iterable[int]
) -> dict[int, list[DayMove]]:
    """Per allocation, by day: hours used (charges, adjustments) and the change of reserved
    hours (reserve minus release), in one statement."""
    ids = list(allocation_ids)
    if not ids:
        return {}
    day = func.date(LedgerEntry.at)
    rows = await session.execute(
        select(LedgerEntry.allocation_id, day, LedgerEntry.kind, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.allocation_id.in_(ids))
        .group_by(LedgerEntry.allocation_id, day, LedgerEntry.kind)
    )
    cells: dict[int, dict[date, list[Decimal]]] = defaultdict(
        lambda: defaultdict(lambda: [Decimal(0), Decimal(0)])
    )
    for alloc_id, d, kind, total in rows.all():
        cell = cells[alloc_id][_as_date(d)]
        amount = Decimal(total or 0)
        if kind in (LedgerKind.CHARGE.value, LedgerKind.ADJUST.value):
            cell[0] += amount
        elif kind == LedgerKind.RESERVE.value:
            cell[1] += amount
        elif kind == LedgerKind.RELEASE.value:
            cell[1] -= amount
    return {
        a: [DayMove(d, u, r) for d, (u, r) in sorted(days.items())] for a, days in cells.items()
    }


def nice_step(top: float, ticks: int = 5) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) giving about `ticks` ticks to top."""
    raw = max(top, 1e-9) / ticks
    power = 1.0
    while power * 10 <= raw:
        power *= 10
    while power > raw:
        power /= 10
    for m in (1, 2, 2.5, 5, 10):
        if m * power >= raw:
            return m * power
    return 10 * power


def _date_ticks(start: date, end: date, most: int = 6) -> list[date]:
    span = max((end - start).days, 1)
    step = max(1, -(-span // (most - 1)))
    ticks = [start + timedelta(days=i) for i in range(0, span + 1, step)]
    if (end - ticks[-1]).days * 2 >= step:
        ticks.append(end)
    return ticks


def usage_chart(
    usage: AllocationUsage,
    moves: list[DayMove],
    *,
    locale: str,
    translate: Callable[[str], str],
    today: date | None = None,
    chart_id: str = "chart",
) -> str:
    """One allocation's chart: cumulative used, used + reserved, and the grant as a line."""
    today = today or datetime.now(UTC).date()
    start, end = usage.starts_at.date(), usage.ends_at.date()
    if end <= start:
        end = start + timedelta(days=1)
    last = min(max(today, start), end)

    def num(value: Decimal | float) -> str:
        return format_decimal(value, format="#,##0.#", locale=locale)

    used_pts: list[tuple[date, Decimal]] = [(start, Decimal(0))]
    booked_pts: list[tuple[date, Decimal]] = [(start, Decimal(0))]
    used = reserved = Decimal(0)
    for m in moves:
        d = min(max(m.day, start), end)
        used += m.used
        reserved += m.reserved
        used_pts.append((d, used))
        booked_pts.append((d, used + max(reserved, Decimal(0))))
    if used_pts[-1][0] < last:
        used_pts.append((last, used))
        booked_pts.append((last, booked_pts[-1][1]))

    peak = max([usage.granted, *(v for _, v in booked_pts), Decimal(1)])
    step = nice_step(float(peak) * 1.08)
    top = step * max(1, -(-float(peak) * 1.08 // step))
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    span = (end - start).days

    def x(d: date) -> float:
        return LEFT + plot_w * (d - start).days / span

    def y(v: Decimal | float) -> float:
        return TOP + plot_h - plot_h * float(v) / top

    def t(key: str, **values: str) -> str:
        text = translate(TEXTS[key])
        return escape(text % values if values else text, quote=False)  # element text only

    title = t("title", partition=usage.partition)
    desc = t(
        "desc",
        start=format_date(start, "medium", locale=locale),
        end=format_date(end, "medium", locale=locale),
        used=num(usage.used),
        reserved=num(usage.reserved),
        granted=num(usage.granted),
        left=num(usage.remaining),
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {W} {H}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        'font-family="sans-serif" font-size="12">',
        f'<title id="{chart_id}-title">{title}</title>',
        f'<desc id="{chart_id}-desc">{desc}</desc>',
        f'<text x="{W / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold" '
        f'fill="#1b1f24">{title}</text>',
    ]
    # y axis: grid lines and hour ticks
    value = 0.0
    while value <= top + step / 1000:
        yy = y(value)
        out.append(
            f'<line x1="{LEFT}" y1="{yy:.1f}" x2="{W - RIGHT}" y2="{yy:.1f}" stroke="#d0d7de"/>'
            f'<text x="{LEFT - 6}" y="{yy + 4:.1f}" text-anchor="end" fill="#3d444d" '
            f'class="y-tick">{escape(num(value))}</text>'
        )
        value += step
    # x axis: date ticks
    ticks = _date_ticks(start, end)
    for d in ticks:
        xx = x(d)
        anchor = "start" if d == start else "end" if d == ticks[-1] else "middle"
        out.append(
            f'<line x1="{xx:.1f}" y1="{TOP + plot_h}" x2="{xx:.1f}" y2="{TOP + plot_h + 5}" '
            f'stroke="#3d444d"/><text x="{xx:.1f}" y="{TOP + plot_h + 19}" '
            f'text-anchor="{anchor}" fill="#3d444d" class="x-tick">'
            f"{escape(format_date(d, 'd MMM', locale=locale))}</text>"
        )
    out += [
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#3d444d"/>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{W - RIGHT}" y2="{TOP + plot_h}" '
        'stroke="#3d444d"/>',
        f'<text x="{LEFT + plot_w / 2}" y="{TOP + plot_h + 38}" text-anchor="middle" '
        f'fill="#1b1f24" class="axis-label">{t("x_axis")}</text>',
        f'<text transform="translate(16 {TOP + plot_h / 2}) rotate(-90)" text-anchor="middle" '
        f'fill="#1b1f24" class="axis-label">{t("y_axis", unit=usage.unit)}</text>',
    ]
    # the grant, then used + reserved (dashed), then used (solid, on top)
    gy = y(usage.granted)
    out.append(
        f'<line x1="{LEFT}" y1="{gy:.1f}" x2="{W - RIGHT}" y2="{gy:.1f}" stroke="{GRANT}" '
        f'stroke-width="2" stroke-dasharray="8 4"/>'
        f'<text x="{W - RIGHT - 4}" y="{gy - 6:.1f}" text-anchor="end" fill="{GRANT}">'
        f"{t('granted')} {escape(num(usage.granted))}</text>"
    )
    for pts, colour, dash in (
        (booked_pts, BOOKED, ' stroke-dasharray="4 3"'),
        (used_pts, USED, ""),
    ):
        points = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in pts)
        out.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2.5"{dash} points="{points}"/>'
        )
    # legend, under the x axis label
    ly = H - 22
    items = (("granted", GRANT, "8 4"), ("used", USED, ""), ("used_reserved", BOOKED, "4 3"))
    lx = LEFT
    out.append('<g class="legend">')
    for key, colour, dash in items:
        label = t(key)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<line x1="{lx}" y1="{ly}" x2="{lx + 26}" y2="{ly}" stroke="{colour}" '
            f'stroke-width="2.5"{dash_attr}/><text x="{lx + 32}" y="{ly + 4}" fill="#1b1f24">'
            f"{label}</text>"
        )
        lx += 32 + 8 * len(label) + 28
    out.append("</g></svg>")
    return "".join(out)
