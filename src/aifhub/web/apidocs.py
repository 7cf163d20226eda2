"""The OpenAPI page (Swagger UI) served from this server: no CDN, no inline script.

Swagger UI's files come from the ``fastapi-offline`` package (MIT, it ships the
swagger-ui-dist build); the start-up code is a static file, so the page keeps a strict
Content-Security-Policy like every other page.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

SWAGGER_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSETS = "/apidocs"


def install_api_docs(app: FastAPI, *, docs_path: str, openapi_path: str) -> None:
    """Serve Swagger UI at ``docs_path`` for the document at ``openapi_path``."""
    app.mount(ASSETS, StaticFiles(directory=str(SWAGGER_DIR)), name="apidocs")
    html = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>aifhub API</title>
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
<link rel="stylesheet" href="/static/apidocs.css">
<link rel="icon" href="{ASSETS}/favicon.png">
</head>
<body data-openapi="{openapi_path}">
<div id="swagger-ui"></div>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script src="/static/apidocs.js"></script>
</body>
</html>
"""

    @app.get(docs_path, include_in_schema=False)
    async def api_docs() -> HTMLResponse:
        """The interactive API documentation."""
        return HTMLResponse(html)
