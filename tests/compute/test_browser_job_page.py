"""The job page in a real browser: it follows a job from running to failed without a reload,
shows its stderr in a tab and says why it failed, in English and in French."""

from __future__ import annotations

import json
import re

import pytest

from ..browser_helpers import sign_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SCRIPT = "echo out-start\necho err-start >&2\nsleep 8\necho err-late-disk-quota >&2\nexit 3\n"


def test_job_page_follows_a_failing_job_live(live_server_with_worker, browser, artifacts_dir):
    from playwright.sync_api import expect

    url = live_server_with_worker
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    sign_in(page, url, "alice@neuroscan.example")
    # Submitted through the API with the session (as the page's own requests are).
    csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
    body = {"project": "brain-mri-seg", "partition": "local/gpu", "name": "fails-late",
            "script": SCRIPT, "time_limit": "5m", "gpus": 1}  # fmt: skip
    r = page.request.post(
        f"{url}/api/v1/jobs",
        data=json.dumps(body),
        headers={"Content-Type": "application/json", "X-CSRF-Token": str(csrf)},
    )
    assert r.status == 201, r.text()
    job_id = r.json()["id"]

    page.goto(f"{url}/jobs/{job_id}")
    page.evaluate("window.notReloaded = true")
    state = page.locator("#job-state")
    expect(state).to_have_text("running", timeout=60_000)
    expect(page.get_by_role("button", name="Cancel job")).to_be_visible()
    expect(page.locator("#job-log-stdout")).to_contain_text("out-start")
    expect(page.locator("#job-panel-stderr")).to_be_hidden()
    # The stderr tab, while the job still runs: it stays chosen as the page refreshes.
    page.get_by_role("tab", name="Errors (stderr)").click()
    expect(page.get_by_role("tab", name="Errors (stderr)")).to_have_attribute(
        "aria-selected", "true"
    )
    expect(page.locator("#job-panel-stdout")).to_be_hidden()
    expect(page.locator("#job-log-stderr")).to_contain_text("err-start")
    expect(state).to_have_text("failed", timeout=60_000)
    assert page.evaluate("window.notReloaded") is True  # followed without a reload
    expect(page.locator("#job-log-stderr")).to_contain_text("err-late-disk-quota")
    expect(page.locator("#job-panel-stderr")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel job")).to_have_count(0)
    expect(page.locator(".job-explanation")).to_contain_text(
        "The job's script ended with an error (a non-zero exit code)"
    )
    expect(page.locator("dl.facts")).to_contain_text("Exit code3")
    expect(page.locator("#job-charge")).to_have_text(re.compile(r"^\d"), timeout=60_000)
    assert page.locator("#job-live").get_attribute("hx-trigger") is None  # polling stopped
    download = page.locator("#job-panel-stderr a[download]")
    assert download.get_attribute("href") == f"/jobs/{job_id}/output/stderr"
    page.screenshot(path=str(artifacts_dir / "web-job-failed.png"), full_page=True)
    context.close()

    # In French, on a phone-sized screen (the demo users chose English: the language switch's
    # cookie overrides that choice, as it does in a browser).
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR")
    context.add_cookies([{"name": "lang", "value": "fr", "url": url}])
    page = context.new_page()
    sign_in(page, url, "alice@neuroscan.example")
    page.goto(f"{url}/jobs/{job_id}")
    expect(page.locator("#job-state")).to_have_text("échec")
    expect(page.locator(".job-explanation")).to_contain_text(
        "Le script du job s'est terminé en erreur (code de sortie non nul)"
    )
    page.get_by_role("tab", name="Erreurs (stderr)").click()
    expect(page.locator("#job-log-stderr")).to_contain_text("err-late-disk-quota")
    expect(page.get_by_role("link", name="Télécharger stderr")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(artifacts_dir / "web-job-failed-fr.png"), full_page=True)
    context.close()
