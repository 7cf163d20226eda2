"""The OpenAPI document, shaped so that generated clients (openapi-python-client...) work.

FastAPI's default document names operations after their paths
(`read_me_api_v1_me_get`), describes errors with its own HTTPValidationError although every
error is an RFC 9457 problem, and says nothing of the bearer tokens. Here:

- operationId = the endpoint function's name (`read_me`), unique across the API (a test
  checks it), or the route's explicit `operation_id`;
- every operation documents its errors as `application/problem+json` with one `Problem`
  schema; HEAD (answered wherever GET is) is left out of the document;
- `bearer` is the security scheme, optional on every operation (public reads work without);
- request-body schemas FastAPI names `Body_<operation id>` get short names.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from aifhub.core.http import leaf_routes

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "An RFC 9457 problem: what went wrong and what to do about it.",
    "properties": {
        "type": {"type": "string", "description": "A URI naming the kind of problem"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "A sentence saying what to fix"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "The fields at fault, when the input was invalid",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                    "message": {"type": "string"},
                },
                "required": ["message"],
            },
        },
        "retry_after_s": {"type": "integer", "description": "With 429: seconds to wait"},
    },
    "required": ["title", "status", "detail"],
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
ERROR_STATUSES = {
    "400": "The request cannot be processed as sent",
    "401": "No valid credentials (send `Authorization: Bearer <token>`)",
    "403": "The credentials do not allow this",
    "404": "Nothing here that the caller may see",
    "409": "The request conflicts with the current state",
    "413": "The body is too large",
    "422": "Invalid input: `errors` names the fields",
    "429": "Too many requests: wait `Retry-After` seconds",
    "503": "A service the platform needs is down; try again later",
}
_METHODS = ("get", "put", "post", "delete", "patch", "options", "trace")


def _operation_ids(app: FastAPI) -> dict[tuple[str, str], str]:
    """(full path, method) -> the operation id: the function's name or the explicit id."""
    ids = {}
    for prefix, route in leaf_routes(app.routes):
        if isinstance(route, APIRoute) and route.include_in_schema:
            for method in route.methods or ():
                ids[(prefix + route.path_format, method.lower())] = route.operation_id or route.name
    return ids


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """The document for this app's routes."""
    with warnings.catch_warnings():
        # GET and HEAD of one route share an id here; HEAD is dropped below.
        warnings.filterwarnings("ignore", message="Duplicate Operation ID")
        spec = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
    ids = _operation_ids(app)
    renamed: dict[str, str] = {}
    for path, item in spec.get("paths", {}).items():
        item.pop("head", None)
        for method in _METHODS:
            op = item.get(method)
            if op is None:
                continue
            op_id = ids.get((path, method), op.get("operationId", ""))
            old_id = op.get("operationId", "")
            op["operationId"] = op_id
            if old_id and f"Body_{old_id}" in spec.get("components", {}).get("schemas", {}):
                renamed[f"Body_{old_id}"] = "".join(w.title() for w in op_id.split("_")) + "Body"
            responses = op.setdefault("responses", {})
            for status in ERROR_STATUSES:
                responses[status] = {"$ref": f"#/components/responses/Problem{status}"}
    components = spec.setdefault("components", {})
    components["responses"] = {
        f"Problem{status}": {
            "description": description,
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        }
        for status, description in ERROR_STATUSES.items()
    }
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas["Problem"] = PROBLEM_SCHEMA
    components["securitySchemes"] = {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token (`aifhub tokens create`, or /account)",
        }
    }
    # Optional everywhere: public reads (the catalogue, access modes) work without a token.
    spec["security"] = [{"bearer": []}, {}]
    text = json.dumps(spec)
    for old, new in renamed.items():
        text = text.replace(f'"{old}"', f'"{new}"').replace(f'/{old}"', f'/{new}"')
    out: dict[str, Any] = json.loads(text)
    for new in renamed.values():
        if new in out["components"]["schemas"]:
            out["components"]["schemas"][new]["title"] = new
    return out


def install_openapi(app: FastAPI) -> None:
    """Serve :func:`build_openapi`'s document (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def body_of(media_type: str, *, binary: bool = False) -> dict[str, Any]:
    """An OpenAPI content entry for a body that is not JSON (a file, CSV, Markdown...)."""
    schema: dict[str, Any] = {"type": "string"}
    if binary:
        schema["format"] = "binary"
    return {media_type: {"schema": schema}}


def file_responses(description: str = "The file's bytes") -> dict[int | str, dict[str, Any]]:
    """`responses=` of a route that answers a file (Range requests give 206)."""
    content = body_of("application/octet-stream", binary=True)
    return {
        200: {"description": description, "content": content},
        206: {"description": "The requested byte range", "content": content},
        416: {
            "description": "The range is outside the file (Content-Range gives its size)",
            "content": {"application/problem+json": {"schema": PROBLEM_REF}},
        },
    }


def text_responses(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` of a route that answers text of this media type instead of JSON."""
    return {200: {"description": description, "content": body_of(media_type)}}


def request_body(media_type: str, description: str, *, binary: bool = False) -> dict[str, Any]:
    """`openapi_extra=` of a route that reads its raw body (a card, a file) itself."""
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": body_of(media_type, binary=binary),
        }
    }
