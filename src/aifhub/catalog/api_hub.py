"""The Hugging Face Hub's read API at the site's root, so that huggingface_hub, transformers
and datasets work with HF_ENDPOINT set to aifhub and HF_TOKEN to an aifhub API token.

HTTP only: the rules live in catalog/hub.py and the catalogue's download service. Errors answer
as the Hub does (an X-Error-Code header and {"error": ...}) so the client raises its own
RepositoryNotFoundError, RevisionNotFoundError, EntryNotFoundError and GatedRepoError.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute

from aifhub.catalog import hub
from aifhub.catalog.api import file_response
from aifhub.catalog.errors import GrantExpired, GrantRequired, PolicyDenied
from aifhub.core.db import DbSession
from aifhub.core.errors import AppError, NotAuthenticated
from aifhub.core.infra import get_infra
from aifhub.identity import OptionalPrincipal

INVALID_TOKEN = "Invalid credentials in Authorization header"
_CODES: tuple[tuple[type[AppError], str], ...] = (
    (hub.RevisionNotFound, "RevisionNotFound"),
    (hub.EntryNotFound, "EntryNotFound"),
    (hub.RepoNotFound, "RepoNotFound"),
    (GrantRequired, "GatedRepo"),
    (GrantExpired, "GatedRepo"),
    (PolicyDenied, "GatedRepo"),
)


def hub_error(exc: AppError, commit: str | None = None) -> JSONResponse:
    """An error as the Hub answers it: the status, X-Error-Code and X-Error-Message."""
    code = next((c for cls, c in _CODES if isinstance(exc, cls)), None)
    message = exc.detail
    if isinstance(exc, hub.HubSignInRequired):
        code = "GatedRepo" if exc.gated else None
    elif isinstance(exc, NotAuthenticated):
        # The client tells a bad token from a missing repo by this exact header; the body
        # keeps the reason (expired, revoked, malformed).
        message = INVALID_TOKEN
    headers = {"X-Error-Message": message.encode("ascii", "replace").decode()}
    if code:
        headers["X-Error-Code"] = code
    if commit:
        headers["X-Repo-Commit"] = commit
    return JSONResponse({"error": exc.detail}, status_code=exc.status, headers=headers)


class HubRoute(APIRoute):
    """A route whose typed errors are answered the Hub's way instead of as problem+json."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except AppError as exc:
                return hub_error(exc)

        return answer


router = APIRouter(route_class=HubRoute, include_in_schema=False)
KINDS = (("models", "model"), ("datasets", "dataset"))


def _json(model: Any, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(model.model_dump(mode="json", exclude_none=True), headers=headers)


def _add_repo_routes(plural: str, kind: str) -> None:
    """GET /api/{plural}, /api/{plural}/{id}[/revision/{rev}], /api/{plural}/{id}/tree/..."""

    async def list_repos(
        request: Request,
        db: DbSession,
        search: Annotated[str | None, Query(max_length=200)] = None,
        author: Annotated[str | None, Query(max_length=130)] = None,
        pipeline_tag: Annotated[str | None, Query(max_length=64)] = None,
        sort: str | None = None,
        direction: int = -1,
        limit: Annotated[int | None, Query(ge=1)] = None,
        cursor: Annotated[str | None, Query(max_length=40)] = None,
        card_data: Annotated[bool, Query(alias="cardData")] = False,
        full: bool = False,
    ) -> JSONResponse:
        """Published repos of this kind, a page at a time (Link: <...>; rel="next")."""
        query = hub.ListQuery(
            kind=kind, search=search, author=author, pipeline_tag=pipeline_tag, sort=sort,
            direction=direction, limit=limit, cursor=cursor, card_data=card_data or full,
        )  # fmt: skip
        rows, following = await hub.list_repos(db, query)
        headers = {}
        if following:
            url = request.url.include_query_params(cursor=following)
            headers["Link"] = f'<{url}>; rel="next"'
        body = [r.model_dump(mode="json", exclude_none=True) for r in rows]
        return JSONResponse(body, headers=headers)

    async def repo_info(db: DbSession, ns: str, name: str, rev: str = "main") -> JSONResponse:
        """A repo at a revision ('main', a version label or a commit id), with its files."""
        revision = await hub.resolve_revision(db, kind, f"{ns}/{name}", rev)
        return _json(hub.repo_info(revision))

    async def tree(
        db: DbSession, ns: str, name: str, rev: str, path: str = "", recursive: bool = False
    ) -> JSONResponse:
        """The files and folders under a path of a revision."""
        revision = await hub.resolve_revision(db, kind, f"{ns}/{name}", rev)
        entries = hub.tree(revision, path, recursive=recursive)
        body = [e.model_dump(mode="json", exclude_none=True) for e in entries]
        return JSONResponse(body, headers={"X-Repo-Commit": revision.sha})

    base = f"/api/{plural}"
    router.add_api_route(base, list_repos, methods=["GET"], name=f"hub_list_{plural}")
    router.add_api_route(base + "/{ns}/{name}", repo_info, methods=["GET"], name=f"hub_{kind}")
    router.add_api_route(
        base + "/{ns}/{name}/revision/{rev}", repo_info, methods=["GET"], name=f"hub_{kind}_rev"
    )
    router.add_api_route(
        base + "/{ns}/{name}/tree/{rev}", tree, methods=["GET"], name=f"hub_{kind}_tree"
    )
    router.add_api_route(
        base + "/{ns}/{name}/tree/{rev}/{path:path}", tree, methods=["GET"],
        name=f"hub_{kind}_tree_path",
    )  # fmt: skip


for _plural, _kind in KINDS:
    _add_repo_routes(_plural, _kind)


async def _resolve(
    request: Request,
    db: DbSession,
    principal: OptionalPrincipal,
    kind: str,
    repo_id: str,
    rev: str,
    path: str,
    project: str | None,
) -> Response:
    user = principal.user if principal else None
    get = request.method == "GET"
    try:
        found = await hub.authorize_file(
            db, user, kind, repo_id, rev, path, project=project, log=get
        )
    except hub.EntryNotFound as exc:
        # The Hub names the commit of a missing file, so the client caches its absence.
        revision = await hub.resolve_revision(db, kind, repo_id, rev)
        return hub_error(exc, revision.sha)
    commit = {"X-Repo-Commit": found.rev.sha}
    if found.row is None:
        readme = found.readme or b""
        etag = f'"{hub.git_blob_id(readme)}"'
        return Response(
            readme, media_type="text/markdown; charset=utf-8", headers={**commit, "ETag": etag}
        )
    response = file_response(get_infra(request).store, found.row)
    response.headers.update(
        {**commit, "X-Linked-Etag": f'"{found.row.sha256}"', "X-Linked-Size": str(found.row.size)}
    )
    return response


Project = Annotated[
    str | None,
    Header(alias="X-Aifhub-Project", description="The project whose grant covers the download"),
]


@router.api_route("/{ns}/{name}/resolve/{rev}/{path:path}", methods=["GET", "HEAD"])
async def resolve_model_file(
    request: Request,
    db: DbSession,
    principal: OptionalPrincipal,
    ns: str,
    name: str,
    rev: str,
    path: str,
    project: Project = None,
) -> Response:
    """A model's file at a revision (Range supported); gated models need a grant."""
    return await _resolve(request, db, principal, "model", f"{ns}/{name}", rev, path, project)


@router.api_route("/datasets/{ns}/{name}/resolve/{rev}/{path:path}", methods=["GET", "HEAD"])
async def resolve_dataset_file(
    request: Request,
    db: DbSession,
    principal: OptionalPrincipal,
    ns: str,
    name: str,
    rev: str,
    path: str,
    project: Project = None,
) -> Response:
    """A dataset's file at a revision (Range supported); gated datasets need a grant."""
    return await _resolve(request, db, principal, "dataset", f"{ns}/{name}", rev, path, project)
