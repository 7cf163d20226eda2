"""The submission form: defaults that pass, the project's partitions, the estimate, the input
picker, script templates."""

from __future__ import annotations

import re
import subprocess
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from aifhub.compute.job_form import TEMPLATES_DIR
from aifhub.compute.models import Job

from ..catalog.helpers import owner_with_asset, publish
from ..web.helpers import HTML, login

SELECTED = re.compile(r'<option value="([^"]+)"[^>]*\sselected>')


def _options(html: str, select_id: str) -> list[str]:
    block = html.split(f'id="{select_id}"', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option value="([^"]*)"', block)


def _selected(html: str, select_id: str) -> str | None:
    block = html.split(f'id="{select_id}"', 1)[1].split("</select>", 1)[0]
    found = SELECTED.search(block)
    return found.group(1) if found else None


def _value(html: str, field_id: str) -> str:
    found = re.search(rf'id="{field_id}"[^>]*\svalue="([^"]*)"', html)
    assert found, f"no {field_id}"
    return found.group(1)


def _checkboxes(html: str) -> list[str]:
    return re.findall(r'name="inputs" value="([^"]+)"', html)


async def test_defaults_preselect_what_the_project_can_use_and_submit(client, db, world):
    csrf = await login(client, "member@lab.eu")
    page = await client.get("/jobs/new", headers=HTML)
    assert page.status_code == 200
    # Only the partitions where `proj` has an allocation: not the `local` cluster's ones.
    assert _options(page.text, "f-partition") == ["testc/cpu", "testc/gpu"]
    assert _selected(page.text, "f-project") == "proj"
    assert _selected(page.text, "f-partition") == "testc/cpu"
    assert _value(page.text, "f-gpus") == "0"  # a CPU partition: no GPU
    assert "100 h left" in page.text
    gpu = await client.get("/jobs/new?partition=testc/gpu", headers=HTML)
    assert _selected(gpu.text, "f-partition") == "testc/gpu"
    assert _value(gpu.text, "f-gpus") == "1"  # a GPU partition: one GPU
    assert 'data-gpus="1"' in gpu.text and 'data-gpus="0"' in gpu.text
    # The defaults as shown, with a script, are accepted as they are.
    form = {
        "csrf_token": csrf, "project": "proj", "partition": _selected(gpu.text, "f-partition"),
        "name": _value(gpu.text, "f-name"), "gpus": _value(gpu.text, "f-gpus"),
        "nodes": _value(gpu.text, "f-nodes"), "ntasks": _value(gpu.text, "f-ntasks"),
        "cpus_per_task": _value(gpu.text, "f-cpus_per_task"),
        "time_limit": _value(gpu.text, "f-time_limit"), "script": "echo hi\r\necho there\r\n",
        "template": "",
    }  # fmt: skip
    r = await client.post("/jobs/new", data=form, headers=HTML)
    assert r.status_code == 303, r.text
    job = await db.scalar(select(Job).order_by(Job.id.desc()))
    assert job is not None and job.gpus == 1 and job.script == "echo hi\necho there\n"
    # Without hours on the CPU partition, the form offers and preselects the GPU one.
    world.cpu_alloc.state = "suspended"
    db.add(world.cpu_alloc)
    await db.commit()
    page = await client.get("/jobs/new", headers=HTML)
    assert _options(page.text, "f-partition") == ["testc/gpu"]
    assert _selected(page.text, "f-partition") == "testc/gpu"
    assert _value(page.text, "f-gpus") == "1"


async def test_a_project_without_allocation_says_so_with_a_link(client, db, world):
    await login(client, "outsider@other.eu")
    page = await client.get("/jobs/new", headers=HTML)
    assert page.status_code == 200
    assert 'id="no-partition"' in page.text
    assert "has no allocation on any partition yet" in page.text
    assert 'href="/applications/new?project=theirs"' in page.text
    assert 'id="f-partition"' not in page.text
    # A member project with hours is not told so.
    await login(client, "member@lab.eu")
    page = await client.get("/jobs/new", headers=HTML)
    assert 'id="no-partition"' not in page.text


async def test_estimate_uses_the_reservation_formula_and_the_payers_balance(client, db, world):
    csrf = await login(client, "member@lab.eu")
    query = "project=proj&partition=testc/gpu&gpus=2&time_limit=30m&nodes=1&ntasks=1"
    r = await client.get(f"/jobs/new/estimate?{query}", headers=HTML)
    assert r.status_code == 200
    # 0.5 h x 2 GPUs x factor 2 = 2 hours, of 100 left.
    assert "reserve 2 normalised hours" in r.text
    assert "0.5 h × 2 GPU(s) × charge factor 2" in r.text
    assert "has 100 hours left (98 after this job)" in r.text
    assert "estimate-problem" not in r.text
    # What the server then reserves is what was shown.
    form = {"csrf_token": csrf, "project": "proj", "partition": "testc/gpu", "gpus": "2",
            "time_limit": "30m", "script": "echo x"}  # fmt: skip
    assert (await client.post("/jobs/new", data=form, headers=HTML)).status_code == 303
    job = await db.scalar(select(Job).order_by(Job.id.desc()))
    assert job is not None and job.reserved_hours == Decimal(2)
    r = await client.get(f"/jobs/new/estimate?{query}", headers=HTML)
    assert "has 98 hours left (96 after this job)" in r.text
    # Cores on a CPU partition; what the server would refuse is said, not hidden.
    r = await client.get(
        "/jobs/new/estimate?project=proj&partition=testc/cpu&ntasks=2&time_limit=1h", headers=HTML
    )
    assert "1 h × 2 core(s) × charge factor 1" in r.text
    r = await client.get(f"/jobs/new/estimate?{query.replace('gpus=2', 'gpus=5')}", headers=HTML)
    assert "5 GPUs asked" in r.text and 'id="estimate-problem"' in r.text
    r = await client.get(f"/jobs/new/estimate?{query.replace('30m', 'soon')}", headers=HTML)
    assert r.status_code == 200 and "Time limit: " in r.text and "estimate-hours" not in r.text
    await login(client, "outsider@other.eu")
    theirs = query.replace("project=proj", "project=theirs")
    r = await client.get(f"/jobs/new/estimate?{theirs}", headers=HTML)
    assert "has no allocation on &#39;testc/gpu&#39;" in r.text
    assert "reserve 2 normalised hours" in r.text and "hours left" not in r.text


async def test_project_fields_fragment_follows_the_project(client, db, world):
    await login(client, "member@lab.eu")
    r = await client.get("/jobs/new/fields?project=proj&time_limit=2h", headers=HTML)
    assert r.status_code == 200
    assert _options(r.text, "f-partition") == ["testc/cpu", "testc/gpu"]
    assert _value(r.text, "f-time_limit") == "2h"  # kept
    assert 'id="job-inputs" hx-swap-oob="true"' in r.text
    assert 'id="estimate-hours"' in r.text


async def test_input_picker_lists_only_what_the_project_may_use(client, db, world):
    owner = await owner_with_asset(client, db, access_policy="gated")
    await publish(client, owner, "neuro/mri-small", "v1", {"x.txt": b"1"})
    r = await client.post(
        "/api/v1/catalog",
        json={"kind": "model", "organisation": "neuro", "slug": "neuro/open-net",
              "name": "Open net", "license": "mit", "summary": "An open model"},
        headers=owner,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    await publish(client, owner, "neuro/open-net", "v1", {"w.bin": b"1"})
    await publish(client, owner, "neuro/open-net", "v2", {"w.bin": b"2"})
    r = await client.post(
        "/api/v1/catalog",
        json={"kind": "dataset", "organisation": "neuro", "slug": "neuro/draft-only",
              "name": "Draft only", "license": "mit", "summary": "Nothing published"},
        headers=owner,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    r = await client.post(
        "/api/v1/catalog",
        json={"kind": "dataset", "organisation": "lab", "slug": "lab/own-data",
              "name": "Own data", "license": "mit", "summary": "The lab's own",
              "access_policy": "gated"},
        headers=world.pi,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    await publish(client, world.pi, "lab/own-data", "v1", {"d.csv": b"1"})

    await login(client, "member@lab.eu")
    page = await client.get("/jobs/new", headers=HTML)
    # Open (every published version, newest first) and the project's own organisation's;
    # not the gated asset without a grant, nor an asset with no published version.
    assert _checkboxes(page.text) == [
        "dataset:lab/own-data@v1", "model:neuro/open-net@v2", "model:neuro/open-net@v1",
    ]  # fmt: skip
    # Once granted, the gated asset is offered too.
    purpose = "Segmentation model training on the factory"
    r = await client.post(
        "/api/v1/catalog/neuro/mri-small/requests",
        json={"project": "proj", "purpose": purpose},
        headers=world.pi,
    )
    cid = r.json()["id"]
    r = await client.post(f"/api/v1/access-requests/{cid}/agree", json={}, headers=owner)
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/v1/access-requests/{cid}/finalize", headers=world.pi)
    assert r.status_code == 200, r.text
    page = await client.get("/jobs/new", headers=HTML)
    assert "dataset:neuro/mri-small@v1" in _checkboxes(page.text)
    # Another project sees none of the closed ones.
    await login(client, "outsider@other.eu")
    page = await client.get("/jobs/new", headers=HTML)
    assert _checkboxes(page.text) == ["model:neuro/open-net@v2", "model:neuro/open-net@v1"]


async def test_chosen_inputs_are_submitted_like_the_apis(client, db, world):
    owner = await owner_with_asset(client, db, access_policy="open")
    await publish(client, owner, "neuro/mri-small", "v1", {"x.txt": b"1"})
    csrf = await login(client, "member@lab.eu")
    form = {"csrf_token": csrf, "project": "proj", "partition": "testc/cpu", "gpus": "0",
            "time_limit": "10m", "script": "ls /inputs",
            "inputs": "dataset:neuro/mri-small@v1"}  # fmt: skip
    r = await client.post("/jobs/new", data=form, headers=HTML)
    assert r.status_code == 303, r.text
    job = await db.scalar(select(Job).order_by(Job.id.desc()))
    assert job is not None and job.inputs == [{"kind": "dataset", "ref": "neuro/mri-small@v1"}]
    # A wrong kind is refused next to the picker, and the choice is kept.
    r = await client.post(
        "/jobs/new", data={**form, "inputs": "model:neuro/mri-small@v1"}, headers=HTML
    )
    assert r.status_code == 422 and "is a dataset, not a model" in r.text


async def test_script_templates_fill_the_script(client, db, world):
    await login(client, "member@lab.eu")
    page = await client.get("/jobs/new", headers=HTML)
    assert _options(page.text, "f-template") == ["", "pytorch_training", "python_file", "notebook"]
    assert "PyTorch training" in page.text and "Run a notebook" in page.text
    r = await client.get("/jobs/new/script?template=pytorch_training", headers=HTML)
    assert r.status_code == 200 and 'id="f-script"' in r.text and "import torch" in r.text
    assert (await client.get("/jobs/new/script?template=", headers=HTML)).status_code == 204
    assert (await client.get("/jobs/new/script?template=nope", headers=HTML)).status_code == 404
    linked = await client.get("/jobs/new?template=notebook", headers=HTML)
    assert "nbconvert --to notebook --execute" in linked.text


def test_script_templates_run_on_a_bare_node(tmp_path: Path) -> None:
    # The training template runs without PyTorch (plain Python), as on a bare cluster node.
    run = subprocess.run(
        ["bash", str(TEMPLATES_DIR / "pytorch_training.sh")],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "training done" in run.stdout and "epoch 300: loss" in run.stdout
    # The notebook template says what is missing where neither papermill nor jupyter is.
    (tmp_path / "notebook.ipynb").write_text("{}")
    empty = tmp_path / "bin"
    empty.mkdir()
    run = subprocess.run(
        ["/bin/bash", str(TEMPLATES_DIR / "notebook.sh")],
        capture_output=True, text=True, cwd=tmp_path, env={"PATH": str(empty)}, timeout=60,
    )  # fmt: skip
    assert run.returncode == 1 and "Neither papermill nor jupyter is installed" in run.stderr
