"""Python SDK for jobs on a running aifhub: submit, list, get, cancel, follow logs, wait.

    from aifhub.client_compute import ComputeClient
    hub = ComputeClient("https://hub.example.eu", token="aifh_...")
    job = hub.submit("train.sh", project="llm-fr", partition="jean-zay/gpu_p5", gpus=8, time="20h")
    for chunk in hub.follow(job["id"]):
        print(chunk, end="")

The URL and token default to AIFHUB_URL and AIFHUB_TOKEN. Each submission carries an
Idempotency-Key, so a retry after a lost answer returns the first job instead of a second one.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

TERMINAL = {"completed", "failed", "cancelled", "timeout", "node_fail", "out_of_memory"}


class ApiError(Exception):
    """The server refused a request; `detail` says why (from problem+json)."""

    def __init__(self, status: int, detail: str, body: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status}: {detail}")
        self.status, self.detail, self.body = status, detail, body or {}


class ComputeClient:
    """A thin client of /api/v1/jobs and /api/v1/projects/{slug}/usage."""

    def __init__(
        self,
        base_url: str | None = None,
        *,
        token: str | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        retries: int = 3,
    ) -> None:
        url = base_url or os.environ.get("AIFHUB_URL", "http://127.0.0.1:8000")
        secret = token or os.environ.get("AIFHUB_TOKEN", "")
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        self.retries = retries
        self.http = httpx.Client(
            base_url=url.rstrip("/") + "/api/v1",
            headers=headers,
            timeout=timeout,
            transport=transport,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def _call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        for attempt in range(self.retries + 1):
            try:
                r = self.http.request(method, path, **kw)
            except httpx.TransportError:
                if attempt == self.retries:
                    raise
                time.sleep(0.5 * 2**attempt)
                continue
            if r.status_code >= 400:
                try:
                    body = r.json()
                except ValueError:
                    body = {"detail": r.text}
                raise ApiError(r.status_code, str(body.get("detail", r.reason_phrase)), body)
            return r
        raise AssertionError("unreachable")

    def submit(
        self,
        script: str | Path,
        *,
        project: str,
        partition: str,
        time: str = "1h",
        gpus: int = 0,
        name: str | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Submit a script (a path or its text); safe to retry with the same key."""
        path = Path(script) if not isinstance(script, str) or "\n" not in script else None
        if path is not None and path.exists():
            text, default_name = path.read_text(), path.stem
        else:
            text, default_name = str(script), "job"
        body = {
            "project": project,
            "partition": partition,
            "script": text,
            "time_limit": time,
            "gpus": gpus,
            "name": name or _safe_name(default_name),
            **fields,
        }
        key = idempotency_key or uuid.uuid4().hex
        r = self._call("POST", "/jobs", json=body, headers={"Idempotency-Key": key})
        return dict(r.json())

    def jobs(
        self, *, project: str | None = None, state: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        """Jobs one can see, newest first."""
        params = {k: v for k, v in {"project": project, "state": state}.items() if v}
        r = self._call("GET", "/jobs", params={**params, "limit": limit})
        return list(r.json()["items"])

    def job(self, job_id: int) -> dict[str, Any]:
        """One job."""
        return dict(self._call("GET", f"/jobs/{job_id}").json())

    def cancel(self, job_id: int) -> dict[str, Any]:
        """Cancel a job."""
        return dict(self._call("POST", f"/jobs/{job_id}/cancel").json())

    def log(self, job_id: int, offset: int = 0, stream: str = "stdout") -> dict[str, Any]:
        """One chunk of output from `offset`; pass back `next_offset` to continue."""
        params: dict[str, Any] = {"offset": offset, "stream": stream}
        return dict(self._call("GET", f"/jobs/{job_id}/log", params=params).json())

    def follow(
        self, job_id: int, *, stream: str = "stdout", interval: float = 1.0
    ) -> Iterator[str]:
        """Yield output as it comes until the job has ended and everything was read."""
        offset = 0
        while True:
            chunk = self.log(job_id, offset, stream)
            if chunk["text"]:
                yield chunk["text"]
            offset = chunk["next_offset"]
            if chunk["finished"] and not chunk["text"]:
                return
            if not chunk["text"]:
                time.sleep(interval)

    def wait(self, job_id: int, *, interval: float = 2.0, timeout: float | None = None) -> dict[str, Any]:
        """Block until the job has ended; return it."""
        start = time.monotonic()
        while True:
            job = self.job(job_id)
            if job["state"] in TERMINAL:
                return job
            if timeout is not None and time.monotonic() - start > timeout:
                raise TimeoutError(f"job {job_id} still {job['state']} after {timeout} s")
            time.sleep(interval)

    def usage(self, project: str, *, csv: bool = False) -> Any:
        """A project's usage (dict), or its CSV text."""
        params = {"format": "csv"} if csv else {}
        r = self._call("GET", f"/projects/{project}/usage", params=params)
        return r.text if csv else r.json()


def _safe_name(text: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "_.-" else "-" for c in text).strip("-.")
    return (cleaned or "job")[:64]
