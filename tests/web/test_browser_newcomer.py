"""The startup newcomer's journey in a real browser, from nothing to a first finished job, in
English and in French: register (the mailed link), an organisation, a project, Playground
hours granted at once, a job from a template with a catalogue dataset as input, its log, the
project's usage chart and CSV. Every step is a click or typing into the page's own fields.

Its own clock gives the issue's figure: the time of the user's own steps from the empty
registration form to the first correct job finished (waiting for the job to run excluded),
written to test-artifacts/newcomer-<locale>.json and printed."""

from __future__ import annotations

import json
import re
import time
import uuid

import pytest

from ..browser_helpers import register_and_sign_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]

# An open dataset of the demo catalogue (its card only): any project may read it.
INPUT = "dataset:wikimedia/wikipedia@v1"
INPUT_VAR = "AIFHUB_INPUT_WIKIMEDIA_WIKIPEDIA"
WORDS = {
    "en-GB": {
        "granted": "Submitted and granted at once",
        "completed": "completed",
        "usage": "Usage",
    },
    "fr-FR": {
        "granted": "Soumise et accordée aussitôt",
        "completed": "terminé",
        "usage": "Consommation",
    },
}


class Clock:
    """The user's own time: a stopwatch that can leave out the waits for the machine."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.paused = 0.0

    def wait(self, action) -> None:  # type: ignore[no-untyped-def]
        t = time.monotonic()
        action()
        self.paused += time.monotonic() - t

    def user_seconds(self) -> float:
        return time.monotonic() - self.started - self.paused


@pytest.mark.parametrize("locale", ["en-GB", "fr-FR"])
def test_newcomer_from_registration_to_a_finished_job(
    live_server_with_worker, browser, artifacts_dir, tmp_path_factory, locale
):
    from playwright.sync_api import expect

    url, words, tag = live_server_with_worker, WORDS[locale], uuid.uuid4().hex[:6]
    org, project = f"lumiere-{tag}", f"vision-{tag}"
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    clock = Clock()

    register_and_sign_in(
        page,
        url,
        tmp_path_factory,
        name="Amélie Dubois",
        email=f"amelie-{tag}@startup.example",
        password="une phrase de passe très longue",
    )
    assert page.locator("html").get_attribute("lang") == locale[:2]

    # An organisation and a project, from the dashboard's own links.
    page.click("a[href='/organisations/new']")
    page.fill("#f-name", f"Lumière Vision {tag}")
    page.fill("#f-slug", org)
    page.select_option("#f-kind", "startup")
    page.select_option("#f-country", "FR")
    page.check("input[name=sectors][value=robotics]")
    page.click("form[action='/organisations/new'] button[type=submit]")
    page.wait_for_url(f"{url}/organisations/{org}")
    page.goto(f"{url}/")
    page.click("a[href='/projects/new']")
    page.fill("#f-name", "Contrôle qualité par vision")
    page.fill("#f-slug", project)
    page.select_option("#f-organisation", org)
    page.select_option("#f-sector", "robotics")
    page.click("#f-description")
    page.keyboard.type("Détection de défauts sur des pièces usinées.")
    page.keyboard.press("Enter")
    page.keyboard.type("Premier essai : un petit modèle.")
    page.click("form[action='/projects/new'] button[type=submit]")
    page.wait_for_url(f"{url}/projects/{project}")

    # Playground hours, from the project page: granted at once in the demo.
    page.click(f"a[href='/applications/new?project={project}']")
    page.select_option("#f-project", project)
    page.select_option("#f-mode", "playground")
    page.fill("#f-title", "Premiers pas sur GPU")
    page.select_option("#f-sector", "robotics")
    page.fill("#f-duration_months", "1")
    page.select_option("select[name=partition_1]", "local/gpu")
    page.fill("input[name=amount_1]", "100")
    page.click("#f-technical_description")
    page.keyboard.type("Entraîner un petit réseau de détection.")
    page.keyboard.press("Enter")
    page.keyboard.type("Une heure de GPU par essai.")
    page.click("form[action='/applications/new'] button[type=submit]")
    page.wait_for_url(re.compile(rf"{re.escape(url)}/applications/\d+$"))
    app_path = page.url.removeprefix(url)
    page.click(f"form[action='{app_path}/submit'] button")
    page.wait_for_url(f"{url}{app_path}")
    assert words["granted"] in page.locator(".flash-success").inner_text()

    # The first job: back on the project page, "New job", a template, a dataset input.
    page.goto(f"{url}/projects/{project}")
    page.click(f"a[href='/jobs/new?project={project}']")
    expect(page.locator("#f-project")).to_have_value(project)
    expect(page.locator("#f-partition")).to_have_value("local/gpu")
    page.select_option("#f-template", "pytorch_training")
    script = page.locator("#f-script")
    expect(script).to_have_value(re.compile("training done"))
    script.click()
    page.keyboard.press("Control+End")
    page.keyboard.type(f'echo "données : $(head -c 40 "${INPUT_VAR}/README.md")"\n')
    page.check(f"input[name=inputs][value='{INPUT}']")
    page.click("#job-form button[type=submit]")
    page.wait_for_url(re.compile(rf"{re.escape(url)}/jobs/\d+$"))
    job_path = page.url.removeprefix(url)

    # The page follows the job to its end by itself (the machine's time is not the user's).
    clock.wait(
        lambda: expect(page.locator("#job-state")).to_have_text(words["completed"], timeout=180_000)
    )
    log = page.locator("#job-log-stdout").inner_text()
    assert "training done" in log and "données : Metadata from the Hugging Face Hub" in log
    first_job_s = clock.user_seconds()
    page.screenshot(path=str(artifacts_dir / f"newcomer-job-{locale}.png"), full_page=True)

    # Usage: from the project page to the chart, and its CSV.
    page.goto(f"{url}/projects/{project}")
    page.click(f"a[href='/projects/{project}/usage']")
    page.wait_for_url(f"{url}/projects/{project}/usage")
    chart = page.locator("svg.chart").first
    expect(chart).to_be_visible()
    assert words["usage"] in page.locator("h1").inner_text()
    with page.expect_download() as download:
        page.click(f"a[href='/api/v1/projects/{project}/usage?format=csv']")
    csv_text = download.value.path().read_text()
    assert "local/gpu" in csv_text
    page.screenshot(path=str(artifacts_dir / f"newcomer-usage-{locale}.png"), full_page=True)
    context.close()

    figures = {"locale": locale, "first_job_user_seconds": round(first_job_s, 1),
               "machine_wait_seconds": round(clock.paused, 1), "job": job_path}  # fmt: skip
    (artifacts_dir / f"newcomer-{locale}.json").write_text(json.dumps(figures))
    print(f"newcomer journey ({locale}): first job finished after {first_job_s:.1f} s of the"
          f" user's own steps (+{clock.paused:.1f} s waiting for the job)")  # fmt: skip
