"""The Slurm backend through slurmrestd (JWT auth), for sites that expose no login node.

API version is a setting (``api_version``, default ``v0.0.38``: Slurm 22.05). Tokens come
from settings (``token``, one static token for ``user``) or are minted with
``scontrol token username=U`` (needs to run as root or SlurmUser on a host of the cluster) and
cached until shortly before they expire. Job output paths follow the same convention as the
CLI backend (``<log_dir>/aifhub-<id>.out``), so ``read_log`` reads a shared filesystem.

The REST user sees only its own jobs in ``/slurmdb/`` unless it has AdminLevel=Operator; give
it that level when :meth:`SlurmRestBackend.accounting` must return every user's jobs.
"""

from __future__ import annotations

import asyncio
import getpass
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from aifhub.backends.base import (
    AccountingRecord,
    BackendError,
    BackendJob,
    BackendUnavailable,
    ComputeBackend,
    JobSpec,
    JobState,
    LogStream,
    LogTail,
    SubmissionRejected,
    decode_log_chunk,
    read_log_chunk,
    read_log_tail_file,
)
from aifhub.backends.slurm.commands import run_slurm_command, slurm_env
from aifhub.backends.slurm.sbatch import (
    map_slurm_state,
    render_sbatch,
    slurm_time,
    wait_status_to_exit_code,
)

TOKEN_LIFESPAN_S = 3600


def _number(value: Any) -> int | None:
    """A plain int or, in newer API versions, {"set": true, "number": N} -> int (unset: None)."""
    if isinstance(value, dict):
        value = value.get("number") if value.get("set") else None
    return value if isinstance(value, int) else None


def _ts(value: Any) -> datetime | None:
    """Epoch seconds from slurmrestd -> UTC datetime (0 or missing means unset)."""
    seconds = _number(value)
    return datetime.fromtimestamp(seconds, UTC) if seconds else None


class SlurmRestBackend(ComputeBackend):
    """Jobs on a Slurm cluster through slurmrestd."""

    name = "slurmrest"

    def __init__(
        self,
        url: str,
        user: str | None = None,
        token: str | None = None,
        api_version: str = "v0.0.38",
        slurm_conf: str | None = None,
        log_dir: str | None = None,
        timeout_s: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.user = user or getpass.getuser()
        self.api = api_version
        self.log_dir = log_dir
        self.env = slurm_env(slurm_conf)
        self._tokens: dict[str, tuple[str, float]] = {}
        if token:
            self._tokens[self.user] = (token, float("inf"))
        # No kept-alive connections: slurmrestd closes an idle one at its own moment, and a
        # request sent on it just then fails with "Server disconnected without sending a
        # response", a submission included (seen on slurmrestd 22.05 right after a ping).
        self._client = httpx.AsyncClient(
            base_url=self.url,
            timeout=timeout_s,
            transport=transport,
            limits=httpx.Limits(max_keepalive_connections=0),
        )

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> SlurmRestBackend:
        """Build from settings: url, user, token, api_version, slurm_conf, log_dir."""
        return cls(
            url=settings["url"],
            user=settings.get("user"),
            token=settings.get("token"),
            api_version=settings.get("api_version", "v0.0.38"),
            slurm_conf=settings.get("slurm_conf"),
            log_dir=settings.get("log_dir"),
            timeout_s=float(settings.get("timeout_s", 30.0)),
        )

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()

    async def _token(self, user: str) -> str:
        cached = self._tokens.get(user)
        if cached and cached[1] > time.monotonic() + 60:
            return cached[0]
        out = await run_slurm_command(
            ["scontrol", "token", f"username={user}", f"lifespan={TOKEN_LIFESPAN_S}"], self.env
        )
        token = out.strip().removeprefix("SLURM_JWT=")
        self._tokens[user] = (token, time.monotonic() + TOKEN_LIFESPAN_S)
        return token

    async def _request(
        self, method: str, path: str, user: str | None = None, **kw: Any
    ) -> dict[str, Any]:
        """One authenticated call; errors in the body become BackendError with the message."""
        user = user or self.user
        headers = {"X-SLURM-USER-NAME": user, "X-SLURM-USER-TOKEN": await self._token(user)}
        try:
            resp = await self._client.request(method, path, headers=headers, **kw)
        except httpx.TransportError as exc:
            raise BackendUnavailable(f"slurmrestd at {self.url} unreachable: {exc}") from exc
        if resp.status_code in (401, 403):
            self._tokens.pop(user, None)
            raise BackendUnavailable(f"slurmrestd refused the token of {user}: {resp.text[:200]}")
        if resp.status_code >= 500 and not resp.content:
            raise BackendUnavailable(f"slurmrestd error {resp.status_code}")
        try:
            data: dict[str, Any] = resp.json()
        except ValueError as exc:
            raise BackendError(f"slurmrestd {resp.status_code}: {resp.text[:300]}") from exc
        errors = [e for e in data.get("errors", []) if e.get("error_number") or e.get("error")]
        if errors or resp.status_code >= 400:
            text = (
                "; ".join(str(e.get("error") or e.get("description") or e) for e in errors)
                or f"HTTP {resp.status_code}"
            )
            raise BackendError(text)
        return data

    async def submit(self, spec: JobSpec) -> str:
        """POST job/submit as ``spec.user`` (or the configured user)."""
        script = render_sbatch(spec, self.log_dir)  # validates every value, too
        out_dir = (self.log_dir or spec.workdir or "/tmp").rstrip("/")
        job: dict[str, Any] = {
            "name": spec.name,
            "partition": spec.partition,
            "time_limit": int(slurm_time(spec.time_limit_s)),
            "nodes": spec.nodes,
            "tasks": spec.ntasks,
            "cpus_per_task": spec.cpus_per_task,
            "current_working_directory": spec.workdir or out_dir,
            "environment": {k: v for k, v in self.env.items() if k != "SLURM_CONF"},
            "standard_output": f"{out_dir}/aifhub-%j.out",
            "standard_error": f"{out_dir}/aifhub-%j.err",
        }
        optional = {"account": spec.account, "qos": spec.qos, "constraints": spec.constraint,
                    "comment": spec.comment}  # fmt: skip
        job.update({k: v for k, v in optional.items() if v is not None})
        if spec.gpus:
            job["gpus"] = str(spec.gpus)  # v0.0.38 takes a string here
        if spec.mem_mb:
            job["memory_per_node"] = spec.mem_mb
        try:
            data = await self._request(
                "POST", f"/slurm/{self.api}/job/submit", spec.user,
                json={"script": script, "job": job},
            )  # fmt: skip
        except BackendUnavailable:
            raise
        except BackendError as exc:
            raise SubmissionRejected(str(exc)) from exc
        return str(data["job_id"])

    async def poll(self, ids: Sequence[str]) -> dict[str, BackendJob]:
        """One GET /jobs for everything slurmctld knows; slurmdb only for purged ids."""
        wanted = set(ids)
        data = await self._request("GET", f"/slurm/{self.api}/jobs")
        found: dict[str, BackendJob] = {}
        for j in data.get("jobs", []):
            jid = str(j["job_id"])
            if jid not in wanted:
                continue
            state = map_slurm_state(str(j.get("job_state", "")))
            started = _ts(j.get("start_time")) if state is not JobState.PENDING else None
            ended = _ts(j.get("end_time")) if state.is_terminal else None
            reason = j.get("state_reason")
            found[jid] = BackendJob(
                backend_id=jid,
                state=state,
                reason=None if reason in (None, "None") else reason,
                exit_code=wait_status_to_exit_code(str(j.get("exit_code")))
                if state.is_terminal
                else None,
                started_at=started,
                ended_at=ended,
                elapsed_s=int(((ended or datetime.now(UTC)) - started).total_seconds())
                if started
                else None,
                node=j.get("nodes") or None,
            )
        # Jobs older than MinJobAge are only in the database; rare, so one call per id.
        for jid in [i for i in ids if i not in found]:
            try:
                db = await self._request("GET", f"/slurmdb/{self.api}/job/{jid}")
            except BackendUnavailable:
                raise
            except BackendError:
                db = {}
            recs = [r for r in _db_records(db) if r.backend_id == jid]
            if recs:
                r = recs[0]
                found[jid] = BackendJob(jid, r.state, None, None, r.started_at, r.ended_at,
                                        r.elapsed_s, None)  # fmt: skip
        return {i: found.get(i) or BackendJob(i, JobState.UNKNOWN, reason="not found") for i in ids}

    async def cancel(self, backend_id: str) -> None:
        """DELETE the job; an already finished job is left alone."""
        try:
            await self._request("DELETE", f"/slurm/{self.api}/job/{int(backend_id)}")
        except BackendUnavailable:
            raise
        except BackendError as exc:
            if "completed" not in str(exc).lower():
                raise

    async def accounting(self, since: datetime) -> list[AccountingRecord]:
        """GET /slurmdb/jobs since ``since`` (all users when the REST user is an operator)."""
        start = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        try:
            data = await self._request(
                "GET", f"/slurmdb/{self.api}/jobs", params={"start_time": start}
            )
        except BackendError as exc:
            if "nothing found" in str(exc).lower():  # slurmdb's answer to an empty window
                return []
            raise
        return _db_records(data)

    async def health(self) -> bool:
        """True when slurmrestd answers and reports slurmctld UP."""
        try:
            data = await self._request("GET", f"/slurm/{self.api}/ping")
        except BackendError:
            return False
        return any(p.get("ping") == "UP" for p in data.get("pings", []))

    async def read_log(
        self, backend_id: str, offset: int = 0, stream: LogStream = "stdout"
    ) -> tuple[str, int]:
        """Read ``<log_dir>/aifhub-<id>.out|.err`` from the shared filesystem."""
        path = self._log_file(backend_id, stream)
        if path is None:
            return "", offset
        data = await asyncio.to_thread(read_log_chunk, path, offset)
        return decode_log_chunk(data, offset)

    async def read_log_tail(
        self, backend_id: str, stream: LogStream = "stdout", max_bytes: int = 64 * 1024
    ) -> LogTail:
        """The end of ``<log_dir>/aifhub-<id>.out|.err``."""
        path = self._log_file(backend_id, stream)
        if path is None:
            return LogTail("", 0, 0)
        return await asyncio.to_thread(read_log_tail_file, path, max_bytes)

    def _log_file(self, backend_id: str, stream: str) -> str | None:
        if stream not in ("stdout", "stderr"):
            raise ValueError(f"stream must be 'stdout' or 'stderr', not {stream!r}")
        if not backend_id.isdigit() or not self.log_dir:
            return None
        suffix = "out" if stream == "stdout" else "err"
        return f"{self.log_dir.rstrip('/')}/aifhub-{backend_id}.{suffix}"


def _db_records(data: Mapping[str, Any]) -> list[AccountingRecord]:
    """slurmdb job objects -> accounting records."""
    records = []
    for j in data.get("jobs", []):
        t = j.get("time", {})
        alloc = (j.get("tres") or {}).get("allocated") or []
        cpus = sum(x.get("count") or 0 for x in alloc if x.get("type") == "cpu")
        gpus = sum(
            x.get("count") or 0 for x in alloc if x.get("type") == "gres" and x.get("name") == "gpu"
        )
        comment = j.get("comment")
        state = map_slurm_state(str((j.get("state") or {}).get("current", "")))
        records.append(
            AccountingRecord(
                backend_id=str(j["job_id"]),
                account=j.get("account") or None,
                user=j.get("user") or None,
                partition=j.get("partition") or None,
                state=state,
                submitted_at=_ts(t.get("submission")),
                started_at=_ts(t.get("start")),
                ended_at=_ts(t.get("end")),
                elapsed_s=int(t.get("elapsed") or 0),
                alloc_gpus=int(gpus),
                alloc_cpus=int(cpus),
                comment=(comment.get("job") if isinstance(comment, dict) else comment) or None,
                name=j.get("name") or "",
                exit_code=_db_exit_code(j.get("exit_code"), state),
            )
        )
    return records


def _db_exit_code(value: Any, state: JobState) -> int | None:
    """slurmdb's exit_code object -> the exit code, 128+signal when signalled.

    Slurm 22.05's slurmdb reports {"status": "SUCCESS", "return_code": 0} even for a job that
    failed with another code: a success code on a job that did not complete is unknown (None),
    never a false 0.
    """
    if not isinstance(value, dict):
        return None
    signal = value.get("signal") or {}
    if isinstance(signal, dict):
        sig = _number(signal.get("id", signal.get("signal_id")))
        if sig:
            return 128 + sig
    code = _number(value.get("return_code"))
    if code == 0 and state is not JobState.COMPLETED:
        return None
    return code
