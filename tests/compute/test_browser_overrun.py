"""An allocation in overrun, in a real browser on a phone-sized screen: the usage page says what
it means in a sentence, in English and in French, and the page does not scroll sideways."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from ..browser_fixtures import _serve_demo
from ..browser_helpers import sign_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PROJECT = "brain-mri-seg"
OVER = Decimal("0.0139")


@pytest.fixture(scope="module")
def demo_in_overrun(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A demo server of this module's own (the shared one stays as other tests expect it)
    whose NeuroScan GPU allocation was charged 0.0139 h beyond its grant by a late job."""
    served = _serve_demo(tmp_path_factory, "live-overrun", "--no-worker")
    url = next(served)
    # The folder _serve_demo made for it (the newest; "...current" is a link to it).
    folders = [
        p for p in tmp_path_factory.getbasetemp().glob("live-overrun*") if not p.is_symlink()
    ]
    _charge_beyond_the_grant(max(folders, key=lambda p: p.stat().st_mtime) / "aifhub.db")
    yield url
    next(served, None)


def _charge_beyond_the_grant(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        alloc_id, granted = conn.execute(
            "SELECT a.id, a.amount FROM allocations a JOIN projects p ON p.id = a.project_id"
            " WHERE p.slug = ? ORDER BY a.id LIMIT 1",
            (PROJECT,),
        ).fetchone()
        (used,) = conn.execute(
            "SELECT COALESCE(SUM(amount), 0) FROM ledger_entries"
            " WHERE allocation_id = ? AND kind IN ('charge', 'adjust')",
            (alloc_id,),
        ).fetchone()
        amount = Decimal(str(granted)) - Decimal(str(used)) + OVER
        conn.execute(
            "INSERT INTO ledger_entries (allocation_id, kind, amount, job_key, at, note, login)"
            " VALUES (?, 'charge', ?, 'local:overrun-test', ?, 'ran past its time limit', 'alice')",
            (alloc_id, str(amount), str(datetime.now(UTC).replace(tzinfo=None))),
        )


@pytest.mark.parametrize(
    ("locale", "sentence"),
    [
        ("en", "Used 0.0139 h more than granted on local/gpu"),
        ("fr", "0,0139 h consommées au-delà des heures accordées sur local/gpu"),
    ],
)
def test_usage_page_shows_the_overrun_at_390_px(
    demo_in_overrun, browser, artifacts_dir, locale, sentence
):
    from playwright.sync_api import expect

    url = demo_in_overrun
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale=locale)
    context.add_cookies([{"name": "lang", "value": locale, "url": url}])
    page = context.new_page()
    sign_in(page, url, "alice@neuroscan.example")
    page.goto(f"{url}/projects/{PROJECT}/usage")
    note = page.locator(".overrun-note")
    expect(note).to_have_count(1)
    expect(note).to_be_visible()
    expect(note).to_contain_text(sentence)
    box = note.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(artifacts_dir / f"web-usage-overrun-{locale}.png"), full_page=True)
    context.close()
