"""Catalogue REST endpoints under /api/v1: HTTP only, the rules live in the services."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, status
from fastapi.responses import FileResponse, PlainTextResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aifhub import identity
from aifhub.catalog import (
    assets,
    card_import,
    contracts,
    downloads,
    huggingface_cards,
    versions,
)
from aifhub.catalog.models import AssetFile
from aifhub.catalog.search import SORTS, SearchFilters, search_assets
from aifhub.core.db import DbSession
from aifhub.core.errors import InvalidInput, NotFound, PayloadTooLarge
from aifhub.core.infra import get_infra
from aifhub.core.openapi import file_responses, request_body, text_responses
from aifhub.core.pagination import Pagination
from aifhub.core.validation import Id
from aifhub.identity import CurrentUser, OptionalPrincipal, current_principal, optional_principal
from aifhub.schemas import catalog as schemas
from aifhub.storage import ObjectStore

router = APIRouter(tags=["catalog"])
ASSET = "/catalog/{ns}/{name}"
LD_JSON = "application/ld+json"
CARD_BODY = request_body("text/markdown", "A Hugging Face README.md: YAML front matter + Markdown")


class LargeFileResponse(FileResponse):
    """FileResponse with 1 MiB reads: 16x fewer trips through the middleware per gigabyte."""

    chunk_size = 1024 * 1024


def _store(request: Request) -> ObjectStore:
    return get_infra(request).store


def _label(label: str) -> str | None:
    return None if label == "latest" else label


@router.get("/catalog", operation_id="search_catalog")
async def search(
    db: DbSession,
    q: Annotated[str | None, Query(max_length=200, description="Words to find")] = None,
    kind: str | None = None,
    task: str | None = None,
    license: str | None = None,
    language: str | None = None,
    sector: str | None = None,
    access_policy: str | None = None,
    sovereignty: str | None = None,
    organisation: str | None = None,
    sort: Annotated[str, Query(pattern="^(" + "|".join(SORTS) + ")$")] = "relevance",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> schemas.SearchResult:
    """Search datasets and models by words and facets (public)."""
    filters = SearchFilters(
        kind=kind, task=task, license=license, language=language, sector=sector,
        access_policy=access_policy, sovereignty=sovereignty, organisation=organisation,
    )  # fmt: skip
    return await search_assets(db, q=q, filters=filters, sort=sort, limit=limit, offset=offset)


@router.post("/catalog", status_code=status.HTTP_201_CREATED)
async def create_asset(
    db: DbSession, user: CurrentUser, body: schemas.AssetCreate
) -> schemas.AssetRead:
    """Describe a new dataset or model in an organisation one manages."""
    return await assets.to_read(db, await assets.create_asset(db, user, data=body))


@router.post(
    "/catalog/import",
    status_code=status.HTTP_201_CREATED,
    openapi_extra=CARD_BODY,
)
async def import_card(
    request: Request,
    db: DbSession,
    user: CurrentUser,
    organisation: str,
    slug: str,
    kind: Annotated[str, Query(pattern="^(dataset|model)$")],
) -> schemas.AssetRead:
    """Create an asset from a Hugging Face README.md (YAML front matter + Markdown); the front
    matter is kept as given and exported again untouched."""
    text = await _text_body(request)
    asset = await card_import.import_card(
        db, user, organisation=organisation, slug=slug, kind=kind, text=text
    )
    return await assets.to_read(db, asset)


async def _text_body(request: Request) -> str:
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > huggingface_cards.MAX_CARD_BYTES:
            raise PayloadTooLarge(f"A card is at most {huggingface_cards.MAX_CARD_BYTES} bytes.")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput("the card must be UTF-8 text") from exc


@router.get(ASSET)
async def read_asset(
    db: DbSession, principal: OptionalPrincipal, ns: str, name: str
) -> schemas.AssetRead:
    """One asset's description (public once a version is published)."""
    actor = principal.user if principal else None
    return await assets.to_read(db, await assets.visible_asset(db, actor, f"{ns}/{name}"))


@router.patch(ASSET)
async def update_asset(
    db: DbSession, user: CurrentUser, ns: str, name: str, body: schemas.AssetUpdate
) -> schemas.AssetRead:
    """Change an asset's description or access policy (owners)."""
    return await assets.to_read(db, await assets.update_asset(db, user, f"{ns}/{name}", data=body))


@router.put(
    ASSET + "/card",
    openapi_extra=CARD_BODY,
)
async def put_card(
    request: Request, db: DbSession, user: CurrentUser, ns: str, name: str
) -> schemas.AssetRead:
    """Replace an asset's description from a Hugging Face README.md (owners)."""
    text = await _text_body(request)
    return await assets.to_read(
        db, await card_import.replace_card(db, user, f"{ns}/{name}", text=text)
    )


@router.get(
    ASSET + "/README.md",
    response_class=Response,
    responses=text_responses("text/markdown", "The card as a Hugging Face README.md"),
)
async def export_card(
    db: DbSession, principal: OptionalPrincipal, ns: str, name: str
) -> PlainTextResponse:
    """The asset as a Hugging Face card."""
    actor = principal.user if principal else None
    asset = await assets.visible_asset(db, actor, f"{ns}/{name}")
    return PlainTextResponse(
        huggingface_cards.card_of(asset), media_type="text/markdown; charset=utf-8"
    )


# ---------------------------------------------------------------- versions and files


@router.get(ASSET + "/versions")
async def list_versions(
    db: DbSession, principal: OptionalPrincipal, ns: str, name: str
) -> list[schemas.VersionRead]:
    """An asset's versions with their files (drafts: owners only)."""
    actor = principal.user if principal else None
    rows = await versions.list_versions(db, actor, f"{ns}/{name}")
    return [await versions.to_read(db, v) for v in rows]


@router.post(ASSET + "/versions", status_code=status.HTTP_201_CREATED)
async def create_version(
    db: DbSession, user: CurrentUser, ns: str, name: str, body: schemas.VersionCreate
) -> schemas.VersionRead:
    """Open a draft version to upload files to (owners)."""
    return await versions.to_read(
        db, await versions.create_version(db, user, f"{ns}/{name}", data=body)
    )


@router.get(ASSET + "/versions/{label}")
async def read_version(
    db: DbSession, principal: OptionalPrincipal, ns: str, name: str, label: str
) -> schemas.VersionRead:
    """One version ('latest' = the newest published) with its files."""
    actor = principal.user if principal else None
    _, version = await versions.get_version(db, actor, f"{ns}/{name}", _label(label))
    return await versions.to_read(db, version)


@router.post(ASSET + "/versions/{label}/publish")
async def publish_version(
    request: Request, db: DbSession, user: CurrentUser, ns: str, name: str, label: str
) -> schemas.VersionRead:
    """Publish a draft: visible to all, immutable from now on (owners)."""
    version = await versions.publish_version(db, user, f"{ns}/{name}", label, store=_store(request))
    return await versions.to_read(db, version)


@router.put(
    ASSET + "/versions/{label}/files/{path:path}",
    status_code=status.HTTP_201_CREATED,
    openapi_extra=request_body("application/octet-stream", "The file's bytes", binary=True),
)
async def upload_file(
    request: Request,
    ns: str,
    name: str,
    label: str,
    path: str,
    x_content_sha256: Annotated[str, Header(description="SHA-256 of the file, hex")] = "",
) -> schemas.FileRead:
    """Stream one file into a draft version; its SHA-256 is verified (owners)."""
    limit = request.app.state.settings.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(
            f"The file is larger than the upload limit of {limit} bytes; split it."
        )
    slug = f"{ns}/{name}"
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    # No DbSession here: a slow client must not hold a pooled connection while it sends.
    # 1. Who is calling and may they upload (short session, committed and released).
    async with maker() as db:
        principal = await current_principal(request, await optional_principal(request, db))
        digest = await versions.check_upload(
            db, principal.user, slug, label, path=path, sha256=x_content_sha256
        )
        await db.commit()
    # 2. The bytes, with no connection held.
    stored = await versions.receive_file(
        _store(request), request.stream(), path=path, sha256=digest, max_bytes=limit
    )
    # 3. Record the result in a new short session.
    async with maker() as db:
        user = await identity.reload_user(db, principal.user.id)
        row = await versions.record_upload(db, user, slug, label, path=path, stored=stored)
        await db.commit()
    return schemas.FileRead.model_validate(row)


@router.delete(ASSET + "/versions/{label}/files/{path:path}", status_code=204)
async def delete_file(
    db: DbSession, user: CurrentUser, ns: str, name: str, label: str, path: str
) -> None:
    """Remove a file from a draft version (owners)."""
    await versions.delete_draft_file(db, user, f"{ns}/{name}", label, path=path)


@router.get(
    ASSET + "/versions/{label}/files/{path:path}",
    response_class=LargeFileResponse,
    responses=file_responses(),
)
async def download_file(
    request: Request,
    db: DbSession,
    user: CurrentUser,
    ns: str,
    name: str,
    label: str,
    path: str,
    project: str | None = None,
) -> Response:
    """Download a file (Range supported); gated assets need ?project= holding a grant."""
    _, version, row = await downloads.authorize_download(
        db, user, f"{ns}/{name}", _label(label), path, project_slug=project
    )
    return file_response(_store(request), row)


def file_response(store: ObjectStore, row: AssetFile) -> Response:
    """A catalogue file's bytes from the store (Range supported), named by its path."""
    local = store.local_path(row.sha256)
    if local is None or not local.exists():
        raise NotFound(f"The bytes of '{row.path}' are missing from the store; tell the owner.")
    return LargeFileResponse(
        local,
        filename=row.path.rsplit("/", 1)[-1],
        media_type="application/octet-stream",
        headers={"X-Content-SHA256": row.sha256, "ETag": f'"{row.sha256}"'},
    )


# ---------------------------------------------------------------- access contracts


@router.post(ASSET + "/requests", status_code=status.HTTP_201_CREATED)
async def request_access(
    db: DbSession, user: CurrentUser, ns: str, name: str, body: schemas.AccessRequestCreate
) -> schemas.ContractRead:
    """A project requests access to a gated or restricted asset for a purpose."""
    c = await contracts.request_access(db, user, f"{ns}/{name}", data=body)
    return contracts.to_read(await contracts.get_row(db, c.id))


@router.get(ASSET + "/requests")
async def list_requests(
    db: DbSession, user: CurrentUser, ns: str, name: str, state: str | None = None
) -> list[schemas.ContractRead]:
    """Requests and grants of an asset (owners)."""
    rows = await contracts.list_for_asset(db, user, f"{ns}/{name}", state=state)
    return [contracts.to_read(r) for r in rows]


@router.get(
    ASSET + "/grants.csv",
    response_class=Response,
    responses=text_responses("text/csv", "The grants, one per row"),
)
async def grants_csv(db: DbSession, user: CurrentUser, ns: str, name: str) -> Response:
    """Who has or had access to an asset, as CSV (owners)."""
    rows = await contracts.list_for_asset(db, user, f"{ns}/{name}")
    filename = f"{ns}-{name}-access.csv"
    return Response(
        contracts.grants_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(ASSET + "/access-log")
async def access_log(
    db: DbSession, user: CurrentUser, ns: str, name: str, page: Pagination
) -> list[schemas.AccessLogRead]:
    """Every download and job staging of an asset's files (owners)."""
    return await downloads.access_log(
        db, user, f"{ns}/{name}", limit=page.limit, offset=page.offset
    )


@router.get("/access-requests")
async def my_requests(db: DbSession, user: CurrentUser) -> list[schemas.ContractRead]:
    """Requests of one's projects and requests addressed to one's assets."""
    return [contracts.to_read(r) for r in await contracts.list_mine(db, user)]


@router.get("/access-requests/{contract_id}")
async def read_request(db: DbSession, user: CurrentUser, contract_id: Id) -> schemas.ContractRead:
    """One request (its project's members or the asset's owners)."""
    mine = {r[0].id: r for r in await contracts.list_mine(db, user)}
    if contract_id not in mine:
        raise NotFound(f"No access request {contract_id} that you can see.")
    return contracts.to_read(mine[contract_id])


@router.post("/access-requests/{contract_id}/agree")
async def agree(
    db: DbSession, user: CurrentUser, contract_id: Id, body: schemas.ContractDecision
) -> schemas.ContractRead:
    """The owner agrees to a request, with terms and a duration."""
    await contracts.decide(db, user, contract_id, approve=True, data=body)
    return contracts.to_read(await contracts.get_row(db, contract_id))


@router.post("/access-requests/{contract_id}/reject")
async def reject(
    db: DbSession, user: CurrentUser, contract_id: Id, body: schemas.ContractDecision
) -> schemas.ContractRead:
    """The owner rejects a request."""
    await contracts.decide(db, user, contract_id, approve=False, data=body)
    return contracts.to_read(await contracts.get_row(db, contract_id))


@router.post("/access-requests/{contract_id}/finalize")
async def finalize(db: DbSession, user: CurrentUser, contract_id: Id) -> schemas.ContractRead:
    """The requesting project accepts the agreed terms: the grant is in force."""
    await contracts.finalize(db, user, contract_id)
    return contracts.to_read(await contracts.get_row(db, contract_id))


@router.post("/access-requests/{contract_id}/terminate")
async def terminate(
    db: DbSession, user: CurrentUser, contract_id: Id, body: schemas.ContractDecision
) -> schemas.ContractRead:
    """End a request or revoke a grant (owners, or the project's PI/managers)."""
    await contracts.terminate(db, user, contract_id, note=body.note)
    return contracts.to_read(await contracts.get_row(db, contract_id))
