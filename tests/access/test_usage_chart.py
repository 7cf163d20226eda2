"""The usage chart alone: scales, ticks and texts in the page's language, escaped names."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from decimal import Decimal

from aifhub.access.usage_chart import DayMove, nice_step, usage_chart
from aifhub.core import i18n
from aifhub.schemas.access import AllocationUsage

SVG = "{http://www.w3.org/2000/svg}"


def _usage(partition: str = "testc/gpu") -> AllocationUsage:
    return AllocationUsage(
        allocation_id=3, partition=partition, unit="gpu_hours",
        starts_at=datetime(2026, 11, 1, tzinfo=UTC), ends_at=datetime(2027, 1, 31, tzinfo=UTC),
        state="active", granted=Decimal("5000"), reserved=Decimal("120"),
        used=Decimal("1234.5"), remaining=Decimal("3645.5"), overrun_hours=Decimal("0"),
    )  # fmt: skip


MOVES = [
    DayMove(date(2026, 11, 3), Decimal("1000"), Decimal("50")),
    DayMove(date(2026, 11, 20), Decimal("234.5"), Decimal("70")),
]


def _chart(locale: str, partition: str = "testc/gpu") -> ET.Element:
    text = usage_chart(
        _usage(partition), MOVES, locale=locale,
        translate=i18n.translations(locale).gettext, today=date(2026, 12, 1),
    )  # fmt: skip
    return ET.fromstring(text)  # well-formed XML, or this raises


def test_nice_steps():
    assert [nice_step(v) for v in (5400, 10, 0.7, 123)] == [2000, 2, 0.2, 25]


def test_axes_legend_title_in_english():
    svg = _chart("en")
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "chart-title chart-desc"
    assert svg.find(f"{SVG}title").text == "Use of testc/gpu against its grant"
    assert "1,234.5 hours used and 120 reserved of 5,000 granted; 3,645.5 left" in (
        svg.find(f"{SVG}desc").text
    )
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    x_ticks = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "x-tick"]
    y_ticks = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "y-tick"]
    assert x_ticks[0] == "1 Nov" and x_ticks[-1] == "31 Jan"
    assert y_ticks == ["0", "2,000", "4,000", "6,000"]  # above the grant, round steps
    assert {"Date", "Hours (gpu_hours)", "Granted", "Used", "Used + reserved"} <= set(texts)
    # used climbs to 1 234.5, used + reserved to 1 354.5; three lines in all
    assert len(list(svg.iter(f"{SVG}polyline"))) == 2


def test_numbers_and_dates_in_french():
    svg = _chart("fr")
    assert svg.find(f"{SVG}title").text == "Consommation de testc/gpu par rapport à l'allocation"
    desc = svg.find(f"{SVG}desc").text
    assert "1\u202f234,5 heures utilisées et 120 réservées sur 5\u202f000 accordées" in desc
    y_ticks = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "y-tick"]
    assert y_ticks == ["0", "2\u202f000", "4\u202f000", "6\u202f000"]
    x_ticks = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "x-tick"]
    assert x_ticks[0] == "1 nov." and x_ticks[-1] == "31 janv."
    assert "Consommé + réservé" in [t.text for t in svg.iter(f"{SVG}text")]


def test_a_name_cannot_break_out_of_the_chart():
    svg = _chart("en", partition="<script>x</script>&")
    assert svg.find(f"{SVG}title").text == "Use of <script>x</script>& against its grant"
    assert not list(svg.iter("script")) and not list(svg.iter(f"{SVG}script"))
