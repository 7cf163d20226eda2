"""Compute request and response bodies."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from aifhub.schemas.durations import parse_duration
from aifhub.schemas.job_env import refused_env_name

# Names reach the scheduler: no spaces, quotes, newlines or '#' (no directive injection).
JobName = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
]
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InputRef(Strict):
    """A catalogue dataset or model a job reads (checked and staged by the catalogue hooks)."""

    kind: Literal["dataset", "model"]
    ref: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    mount: Annotated[str, StringConstraints(pattern=r"^/[A-Za-z0-9_./-]{0,200}$")] | None = None


class JobResources(Strict):
    """What a job asks for and who pays: all its reservation depends on (an estimate reads it)."""

    project: Annotated[str, StringConstraints(min_length=2, max_length=64)]
    partition: Annotated[str, StringConstraints(min_length=1, max_length=130)]
    time_limit: str | int = Field("1h", description="e.g. 30m, 2h, 1d, 02:00:00 or seconds")
    nodes: int = Field(1, ge=1, le=10_000)
    ntasks: int = Field(1, ge=1, le=1_000_000)
    cpus_per_task: int = Field(1, ge=1, le=1024)
    gpus: int = Field(0, ge=0, le=100_000)
    mem_mb: int | None = Field(None, ge=1)
    qos: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,60}$")] | None = None

    @field_validator("time_limit")
    @classmethod
    def _time(cls, value: str | int) -> str | int:
        parse_duration(value)
        return value

    @property
    def time_limit_s(self) -> int:
        """The time limit in seconds."""
        return parse_duration(self.time_limit)


class JobCreate(JobResources):
    """What a user submits: the script and its resources, on a project's allocation."""

    name: JobName = "job"
    script: Annotated[str, StringConstraints(min_length=1, max_length=100_000)]
    env: dict[str, Annotated[str, StringConstraints(max_length=4000)]] = {}
    workdir: Annotated[str, StringConstraints(pattern=r"^/[^\n\r\x00]{0,399}$")] | None = None
    inputs: list[InputRef] = Field([], max_length=50)
    allow_network: bool = False

    @field_validator("script")
    @classmethod
    def _unix_lines(cls, value: str) -> str:
        # A browser's textarea sends CRLF; bash would read `cmd\r` and fail on every line.
        return value.replace("\r\n", "\n").replace("\r", "\n")

    @field_validator("env")
    @classmethod
    def _env(cls, value: dict[str, str]) -> dict[str, str]:
        for key, text in value.items():
            if not ENV_NAME.match(key):
                raise ValueError(f"'{key}' is not a valid environment variable name")
            if refused_env_name(key):
                raise ValueError(
                    f"the variable {key} may not be set by a job (LD_*, BASH_FUNC_*, BASH_ENV, "
                    "ENV, GCONV_PATH, AIFHUB_*, CUDA_VISIBLE_DEVICES and similar are reserved)"
                )
            if "\0" in text:
                raise ValueError(f"the value of {key} contains a NUL byte")
        return value


class JobExplanation(BaseModel):
    """Why a job failed or waits, in a sentence (`key` is stable; `text` is English)."""

    key: str = Field(description="e.g. time_limit, out_of_memory, crlf, command_not_found")
    text: str
    evidence: str | None = Field(None, description="The stderr line that showed it")


class JobRead(BaseModel):
    """A job as its owner sees it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    project: str
    user: str
    cluster: str
    partition: str
    name: str
    state: str
    reason: str | None
    backend_id: str | None
    time_limit_s: int
    nodes: int
    ntasks: int
    cpus_per_task: int
    gpus: int
    mem_mb: int | None
    qos: str | None
    workdir: str | None
    inputs: list[dict[str, str]]
    created_at: datetime
    delivered_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    exit_code: int | None
    elapsed_s: int | None
    reserved_hours: Decimal
    charged_hours: Decimal | None
    settled_at: datetime | None = None
    cancel_requested: bool
    explanation: JobExplanation | None = Field(
        None,
        description="Why it failed or waits; one job's read also looks at the end of its stderr",
    )


class JobLog(BaseModel):
    """A chunk of a job's output; call again with `offset=next_offset` to follow it."""

    text: str
    next_offset: int
    stream: str
    finished: bool


class ClusterLoginSet(Strict):
    """A login request on a cluster (the service checks the name and says what is allowed)."""

    cluster: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    login: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    # Staff only: map this user's login (approved at once) instead of requesting one's own.
    user_email: str | None = None


class NetworkGrantCreate(Strict):
    """Staff let a project's jobs use the network on a cluster (`name`) or partition (`c/p`)."""

    project: Annotated[str, StringConstraints(min_length=2, max_length=64)]
    target: Annotated[str, StringConstraints(min_length=1, max_length=130)]
    note: Annotated[str, StringConstraints(max_length=300)] = ""


class NetworkGrantRead(BaseModel):
    """A network grant; `revoked_at` is set once staff revoked it."""

    id: int
    project: str
    target: str
    granted_at: datetime
    granted_by_id: int | None
    note: str
    revoked_at: datetime | None


class ClusterLoginMap(Strict):
    """Staff: a user's proven login on a cluster."""

    user_email: Annotated[str, StringConstraints(min_length=3, max_length=320)]
    cluster: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    login: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class ClusterLoginDecision(Strict):
    """Staff: why a request is rejected or a login revoked (optional for an approval)."""

    reason: Annotated[str, StringConstraints(max_length=500)] = ""


class ClusterLoginRead(BaseModel):
    """A cluster login or login request, with its state (read from a logins.LoginView)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    cluster: str
    login: str
    status: str
    source: str
    reason: str | None
    user_email: str
    created_at: datetime
    decided_at: datetime | None
    # Where the platform cannot check that the login exists on the cluster (slurmrest).
    note: str | None = None
