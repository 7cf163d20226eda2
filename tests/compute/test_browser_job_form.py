"""The job submission form in a real browser, on the demo data: a newcomer's first job, in
English and in French."""

from __future__ import annotations

import re

import pytest

from ..browser_helpers import sign_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]

# The demo: brain-mri-seg (NeuroScan) has 2,000 GPU hours on local/gpu, and its organisation
# publishes this dataset, which its projects may use without a grant.
DATASET = "dataset:neuroscan/mri-features-synthetic@v1"
CLOSED = "dataset:aerosim/wing-cfd-snapshots-synthetic@v1"  # restricted, no grant
LABELS = {
    "en-GB": {
        "submit": "Submit a job",
        "template": "Start from a template",
        "pytorch": "PyTorch training",
        "inputs": "Inputs from the catalogue",
        "reserve": "This job will reserve",
        "submitted": "Job submitted.",
    },
    "fr-FR": {
        "submit": "Soumettre un job",
        "template": "Partir d’un modèle",
        "pytorch": "Entraînement PyTorch",
        "inputs": "Entrées du catalogue",
        "reserve": "Ce job réservera",
        "submitted": "Job soumis.",
    },
}


@pytest.mark.parametrize(
    ("locale", "email"),
    [("en-GB", "alice@neuroscan.example"), ("fr-FR", "nadia@neuroscan.example")],
)
def test_first_job_from_the_form(live_server, browser, artifacts_dir, locale, email):
    from playwright.sync_api import expect

    url, words = live_server, LABELS[locale]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    page = context.new_page()
    try:
        sign_in(page, url, email)
        page.goto(f"{url}/jobs")
        if locale == "fr-FR":
            # A demo account's own language (English) outranks the browser's after signing
            # in: switch with the page's FR link, as a French user would.
            page.click("a[hreflang=fr]")
            page.wait_for_url(f"{url}/jobs")
        page.click(f"a[href='/jobs/new']:has-text('{words['submit']}')")
        page.wait_for_url(f"{url}/jobs/new")

        # Defaults that pass: the project with hours, its GPU partition, one GPU.
        expect(page.locator("#f-project")).to_have_value("brain-mri-seg")
        expect(page.locator("#f-partition")).to_have_value("local/gpu")
        expect(page.locator("#f-gpus")).to_have_value("1")
        expect(page.locator("#no-partition")).to_have_count(0)
        assert page.locator("label[for=f-template]").inner_text() == words["template"]
        assert words["inputs"] in page.locator("#job-inputs legend").inner_text()
        hours = page.locator("#estimate-hours")
        expect(hours).to_contain_text(words["reserve"])
        expect(hours).to_contain_text("1 h × 1 GPU")

        # A template fills the script; then a few lines typed after it, with Enter.
        page.select_option("#f-template", label=words["pytorch"])
        script = page.locator("#f-script")
        expect(script).to_have_value(re.compile(r"import torch"))
        script.click()
        page.keyboard.press("Control+End")
        extra = "echo 'évaluation'\nls \"$AIFHUB_INPUT_NEUROSCAN_MRI_FEATURES_SYNTHETIC\"\n"
        page.keyboard.type(extra)
        value = script.input_value()
        assert value.startswith("#!/bin/bash\n") and "training done" in value
        assert value.endswith("PY\n" + extra)

        # The hours preview follows the GPUs and the time limit.
        page.fill("#f-gpus", "2")
        expect(hours).to_contain_text("1 h × 2 GPU")
        page.fill("#f-time_limit", "30m")
        expect(hours).to_contain_text(re.compile(r"0[.,]5 h × 2 GPU"))
        expect(page.locator("#estimate-left")).to_contain_text("local/gpu")

        # Inputs: the organisation's dataset is offered, another's restricted one is not.
        expect(page.locator(f"input[name=inputs][value='{CLOSED}']")).to_have_count(0)
        page.check(f"input[name=inputs][value='{DATASET}']")
        page.screenshot(path=str(artifacts_dir / f"job-form-{locale}.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 900})  # a phone: nothing overflows
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(artifacts_dir / f"job-form-{locale}-390.png"), full_page=True)

        page.click("#job-form button[type=submit]")
        page.wait_for_url(re.compile(rf"{re.escape(url)}/jobs/\d+$"))
        expect(page.locator(".flash-success")).to_contain_text(words["submitted"])
        assert "brain-mri-seg" in page.content() and "local/gpu" in page.content()
    finally:
        context.close()
