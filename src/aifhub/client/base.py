"""The HTTP core of the SDK: one request method, JSON in, typed models out.

Each domain adds a `Resource` subclass (a namespace such as `client.projects`) whose methods
call `self._call(...)` with the path and the pydantic model of the answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Self, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter

from aifhub import __version__
from aifhub.client.errors import ApiError, ServerUnreachable
from aifhub.schemas.page import Page

API_PREFIX = "/api/v1"
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


class BaseClient:
    """An authenticated session with an aifhub server (synchronous, httpx)."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._http = httpx.Client(
            base_url=self.base_url + API_PREFIX,
            timeout=timeout,
            transport=transport,
            headers={"User-Agent": f"aifhub-sdk/{__version__}", "Accept": "application/json"},
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**headers, **(extra or {})}

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        files: Any = None,
        content: Iterable[bytes] | bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one request under /api/v1; raise ApiError on a non-2xx answer.

        `data` and `files` send a multipart form instead of JSON (uploads); `content` sends
        raw bytes (or an iterator of chunks) as the body.
        """
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = self._http.request(
                method, path, json=json, params=clean, headers=self._headers(headers),
                data=data, files=files, content=content,
            )  # fmt: skip
        except httpx.TransportError as exc:
            raise ServerUnreachable(self.base_url, str(exc) or type(exc).__name__) from exc
        if response.status_code >= 400:
            raise ApiError.from_response(response)
        return response

    @contextmanager
    def stream(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Iterator[httpx.Response]:
        """Send one request and read the answer's body as it comes (downloads).

        Raises ApiError on a non-2xx answer, ServerUnreachable when the connection fails,
        also while the body is being read.
        """
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            with self._http.stream(
                method, path, params=clean, headers=self._headers(headers)
            ) as response:
                if response.status_code >= 400:
                    response.read()
                    raise ApiError.from_response(response)
                yield response
        except httpx.TransportError as exc:
            raise ServerUnreachable(self.base_url, str(exc) or type(exc).__name__) from exc

    def call(
        self,
        method: str,
        path: str,
        model: type[T] | Any,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        files: Any = None,
    ) -> T:
        """Send a request and parse the JSON answer as `model` (any pydantic-readable type)."""
        response = self.request(method, path, json=json, params=params, data=data, files=files)
        if model is None or response.status_code == 204:
            return None  # type: ignore[return-value]
        return TypeAdapter(model).validate_python(response.json())

    def paginate(
        self, fetch: Callable[[int, int], Page[M]], *, page_size: int = 200
    ) -> Iterator[M]:
        """Yield every item across pages; `fetch(limit, offset)` returns one page."""
        offset = 0
        while True:
            page = fetch(page_size, offset)
            yield from page.items
            offset += len(page.items)
            if not page.items or offset >= page.total:
                return


class Resource:
    """A namespace of endpoints (`client.projects`); domains subclass it."""

    def __init__(self, client: BaseClient) -> None:
        self._client = client

    def _call(
        self,
        method: str,
        path: str,
        model: type[T] | Any,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        files: Any = None,
    ) -> T:
        return self._client.call(
            method, path, model, json=json, params=params, data=data, files=files
        )


def body(model: BaseModel | None = None, **fields: Any) -> dict[str, Any]:
    """A request body: a schema instance, or keyword fields with the unset ones (None) dropped."""
    if model is not None:
        return model.model_dump(mode="json", exclude_unset=True)
    return {k: v for k, v in fields.items() if v is not None}
