"""Compute endpoints of the SDK: `client.jobs` (submit, list, get, cancel, logs, wait, usage).

    with Client.from_config() as c:
        job = c.jobs.submit("train.sh", project="llm-fr", partition="jean-zay/gpu_p5", gpus=8,
                            time="20h", inputs=["openllm-france/lucie-7b@v1"])
        for text in c.jobs.follow(job.id):
            print(text, end="")

Each submission carries an Idempotency-Key (a fresh one unless given), so a retry after a
lost answer returns the first job instead of creating a second.
"""

from __future__ import annotations

import time as clock
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from aifhub.client.base import Resource, body
from aifhub.client.catalog import asset_path
from aifhub.client.errors import ServerUnreachable
from aifhub.schemas.access import ProjectUsage
from aifhub.schemas.compute import ClusterLoginRead, JobLog, JobRead
from aifhub.schemas.enums.compute import TERMINAL_STATUSES
from aifhub.schemas.page import Page

KINDS = ("dataset", "model")
InputSpec = str | Mapping[str, str]


def unix_text(text: str) -> str:
    """A script as bash reads it: LF line ends (a Windows editor's CRLF or CR become LF)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def script_text(script: str | Path) -> tuple[str, str]:
    """(text, default job name) of a script given as a path or as its text.

    A file is read as UTF-8 (a leading byte-order mark dropped, so `#!` stays first) with
    its line ends made LF, whatever the editor that wrote it used.
    """
    if isinstance(script, Path) or ("\n" not in script and Path(script).is_file()):
        path = Path(script)
        return unix_text(path.read_bytes().decode("utf-8-sig")), safe_name(path.stem)
    return unix_text(str(script)), "job"


def safe_name(text: str) -> str:
    """A job name the API accepts, from a file name."""
    cleaned = "".join(c if c.isalnum() or c in "_.-" else "-" for c in text).strip("-.")
    return (cleaned or "job")[:64]


class Jobs(Resource):
    """`client.jobs`: jobs on the factory's clusters."""

    def submit(
        self,
        script: str | Path,
        *,
        project: str,
        partition: str,
        time: str = "1h",
        gpus: int = 0,
        name: str | None = None,
        inputs: Sequence[InputSpec] | None = None,
        idempotency_key: str | None = None,
        retries: int = 2,
        **fields: Any,
    ) -> JobRead:
        """Submit a script (path or text); retried on lost answers without duplicates.

        `inputs` names catalogue datasets and models the job reads: `"org/asset@v1"` (its
        kind is looked up), `"dataset:org/asset@v1"`, or the API's
        `{"kind": ..., "ref": ..., "mount": ...}`.
        """
        text, default_name = script_text(script)
        data = body(
            project=project,
            partition=partition,
            script=text,
            time_limit=time,
            gpus=gpus,
            name=name or default_name,
            inputs=self.input_refs(inputs) if inputs else None,
            **fields,
        )
        headers = {"Idempotency-Key": idempotency_key or uuid.uuid4().hex}
        for attempt in range(retries + 1):
            try:
                r = self._client.request("POST", "/jobs", json=data, headers=headers)
            except ServerUnreachable:
                if attempt == retries:
                    raise
                clock.sleep(0.5 * 2**attempt)
                continue
            return JobRead.model_validate(r.json())
        raise AssertionError("unreachable")

    def input_refs(self, inputs: Sequence[InputSpec]) -> list[dict[str, str]]:
        """The API's `inputs` items for `submit`'s `inputs` (a bare ref's kind looked up)."""
        out: list[dict[str, str]] = []
        for item in inputs:
            if isinstance(item, Mapping):
                out.append(dict(item))
                continue
            kind, sep, ref = item.partition(":")
            if not sep or kind not in KINDS:
                ref = item.strip()
                asset = self._client.request("GET", asset_path(ref.split("@", 1)[0])).json()
                kind = str(asset["kind"])
            out.append({"kind": kind, "ref": ref})
        return out

    def list(
        self,
        *,
        project: str | None = None,
        state: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[JobRead]:
        """One page of visible jobs, newest first."""
        params = {"project": project, "state": state, "limit": limit, "offset": offset}
        return self._call("GET", "/jobs", Page[JobRead], params=params)

    def get(self, job_id: int) -> JobRead:
        """One job."""
        return self._call("GET", f"/jobs/{job_id}", JobRead)

    def cancel(self, job_id: int) -> JobRead:
        """Cancel a job."""
        return self._call("POST", f"/jobs/{job_id}/cancel", JobRead)

    def log(self, job_id: int, offset: int = 0, stream: str = "stdout") -> JobLog:
        """One chunk of output from `offset`; pass back `next_offset` to continue."""
        params = {"offset": offset, "stream": stream}
        return self._call("GET", f"/jobs/{job_id}/log", JobLog, params=params)

    def follow(
        self, job_id: int, *, stream: str = "stdout", interval: float = 1.0
    ) -> Iterator[str]:
        """Yield output as it is written, until the job has ended and all was read."""
        offset = 0
        while True:
            chunk = self.log(job_id, offset, stream)
            offset = chunk.next_offset
            if chunk.text:
                yield chunk.text
                continue
            if chunk.finished:
                return
            clock.sleep(interval)

    def wait(self, job_id: int, *, interval: float = 2.0, timeout: float | None = None) -> JobRead:
        """Block until the job has ended; return it."""
        start = clock.monotonic()
        while True:
            job = self.get(job_id)
            if job.state in TERMINAL_STATUSES:
                return job
            if timeout is not None and clock.monotonic() - start > timeout:
                raise TimeoutError(f"job {job_id} still {job.state} after {timeout} s")
            clock.sleep(interval)

    def usage(self, project: str) -> ProjectUsage:
        """A project's balances and daily usage."""
        return self._call("GET", f"/projects/{project}/usage", ProjectUsage)

    def usage_csv(self, project: str) -> str:
        """A project's daily usage as CSV text."""
        return self._client.request(
            "GET", f"/projects/{project}/usage", params={"format": "csv"}
        ).text


class ClusterLogins(Resource):
    """`client.cluster_logins`: one's logins and requests; staff mapping and decisions."""

    def mine(self) -> list[ClusterLoginRead]:
        """One's logins and login requests, with their state."""
        return self._call("GET", "/cluster-logins", list[ClusterLoginRead])

    def request(self, cluster: str, login: str) -> ClusterLoginRead:
        """Request one's login on a cluster (pending until staff approve it)."""
        return self._call(
            "PUT", "/cluster-logins", ClusterLoginRead, json={"cluster": cluster, "login": login}
        )

    def list(
        self,
        status: str | None = None,
        *,
        cluster: str | None = None,
        user: str | None = None,
        search: str | None = None,
    ) -> list[ClusterLoginRead]:
        """Staff: every login or request, e.g. status="pending", cluster="jz", user=e-mail."""
        return self._call(
            "GET", "/staff/cluster-logins", list[ClusterLoginRead],
            params=body(status=status, cluster=cluster, user=user, q=search),
        )  # fmt: skip

    def get(self, login_id: int) -> ClusterLoginRead:
        """Staff: one login or request, whoever's."""
        return self._call("GET", f"/staff/cluster-logins/{login_id}", ClusterLoginRead)

    def map(self, user_email: str, cluster: str, login: str) -> ClusterLoginRead:
        """Staff: set a user's proven login on a cluster (approved at once)."""
        return self._call(
            "PUT", "/staff/cluster-logins", ClusterLoginRead,
            json={"user_email": user_email, "cluster": cluster, "login": login},
        )  # fmt: skip

    def decide(self, login_id: int, action: str, reason: str = "") -> ClusterLoginRead:
        """Staff: `approve`, `reject` or `revoke` a login (reject and revoke need a reason)."""
        return self._call(
            "POST", f"/staff/cluster-logins/{login_id}/{action}", ClusterLoginRead,
            json={"reason": reason},
        )  # fmt: skip
