"""A service error names its input (`AppError.field`): pages place it there, the API says it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from aifhub.core.errors import AppError, Conflict, NotFound, about
from aifhub.identity.models import Organisation, ProjectMember
from aifhub.web.forms import error_for

from ..factories import api_user, make_org, make_project, make_user
from .helpers import HTML, login

ORG = {"slug": "acme", "name": "Acme", "kind": "sme", "country": "FR", "sectors": ["health"]}


def test_the_field_goes_into_the_problem_as_the_validation_errors_do() -> None:
    problem = Conflict("The slug is taken.", field="slug").problem("/api/v1/organisations")
    assert problem["status"] == 409
    assert problem["errors"] == [{"field": "slug", "message": "The slug is taken."}]
    assert "errors" not in Conflict("No field.").problem()


def test_the_page_helper_places_by_the_field_not_by_words() -> None:
    assert error_for(Conflict("The project slug is taken.", field="slug")) == {
        "slug": "The project slug is taken."
    }
    assert error_for(Conflict("The slug is taken.")) == {"__all__": "The slug is taken."}


def test_about_names_the_input_of_a_lookup_unless_the_error_already_does() -> None:
    with pytest.raises(AppError) as err, about("project"):
        raise NotFound("No project 'x'.")
    assert err.value.field == "project"
    with pytest.raises(AppError) as err, about("project"):
        raise NotFound("No partition 'y'.", field="partition")
    assert err.value.field == "partition"


async def test_a_taken_slug_is_shown_next_to_the_slug_field(client, db) -> None:
    await make_user(db, "ada@example.eu")
    csrf = await login(client, "ada@example.eu")
    first = await client.post("/organisations/new", data={"csrf_token": csrf, **ORG})
    assert first.status_code == 303
    dup = await client.post(
        "/organisations/new", data={"csrf_token": csrf, **ORG, "name": "Other"}, headers=HTML
    )
    assert dup.status_code == 422
    assert '<p class="field-error" id="slug-error">The organisation slug' in dup.text
    assert await db.scalar(select(func.count()).select_from(Organisation)) == 1


async def test_an_outsider_added_to_a_project_is_refused_at_the_email_field(client, db) -> None:
    headers = await api_user(db, "pi@example.eu")
    await make_org(client, headers, "acme")
    await make_project(client, headers, "vision", "acme")
    await make_user(db, "out@example.eu")
    csrf = await login(client, "pi@example.eu")
    r = await client.post(
        "/projects/vision/members",
        data={"csrf_token": csrf, "email": "out@example.eu", "role": "member"},
        headers=HTML,
    )
    assert r.status_code == 422
    assert '<p class="field-error" id="email-error">out@example.eu is not a member' in r.text
    assert await db.scalar(select(func.count()).select_from(ProjectMember)) == 1  # the PI


async def test_the_api_names_the_field_of_a_refused_request(client, db) -> None:
    headers = await api_user(db, "ada@example.eu")
    await make_org(client, headers, "acme")
    body = {"slug": "acme", "name": "Other", "kind": "sme", "country": "FR"}
    r = await client.post("/api/v1/organisations", json=body, headers=headers)
    assert r.status_code == 409
    problem = r.json()
    assert problem["errors"] == [{"field": "slug", "message": problem["detail"]}]
