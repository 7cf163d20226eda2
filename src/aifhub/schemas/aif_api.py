"""Wire shapes of the AI Factory Compute API, as the `ai-factory-sdk` client sends and reads them.

Field names, types and units are the SDK's (its `time_limit` is in minutes, times are Unix
seconds, a job id is a string in reads and an integer in the submission's answer); the
platform's own shapes are in `aifhub.schemas.compute`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# Slurm's generic resources as the SDK writes them: gpu, gpu:2, gpu:a40:1.
Gres = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
PathPattern = Annotated[str, StringConstraints(max_length=400)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    partition: Annotated[str, StringConstraints(min_length=1, max_length=130)] | None = None
    tasks: int | None = Field(None, ge=1, le=1_000_000, description="Number of tasks")
    cpus_per_task: int | None = Field(None, ge=1, le=1024, description="CPUs per task")
    time_limit: int | None = Field(
        None, gt=0, le=10_000_000, description="Time limit in MINUTES (Slurm's convention)"
    )
    gres: Gres | None = Field(None, description="e.g. 'gpu:a40:1' or 'gpu:2'")
    standard_output: PathPattern | None = Field(
        None, description="Not supported: the platform keeps the job's output"
    )
    standard_error: PathPattern | None = Field(
        None, description="Not supported: the platform keeps the job's output"
    )


class AifJobRequest(_Request):
    """A batch job: a script and its resources (the project comes from the caller)."""

    script: Annotated[str, StringConstraints(min_length=1, max_length=100_000)]


class AifContainerJobRequest(_Request):
    """A container job (refused until the platform runs containers)."""

    image: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    container_command: Annotated[str, StringConstraints(max_length=100_000)] | None = None


class AifSubmitResponse(BaseModel):
    """The answer to a submission: the job's id on the platform."""

    job_id: int
    output_dir: str | None = None
    logs_url: str | None = Field(None, description="The job's page, with its output")


class AifJobListItem(BaseModel):
    """A job in a list: one of four states, Unix times, duration in seconds."""

    job_id: str
    name: str | None = None
    status: str = Field(description="queued, running, completed or errored")
    duration: int | None = Field(None, description="Seconds run so far (null while queued)")
    start_time: int | None = None
    end_time: int | None = None


class AifJobDetail(AifJobListItem):
    """One job in full."""

    partition: str | None = None
    nodes: str | None = Field(None, description="Always null: the platform keeps no node list")
    exit_code: int | None = None
    working_directory: str | None = None
    standard_output: str | None = None
    standard_error: str | None = None
    gres: str | None = None
    submit_time: int | None = None
    output_dir: str | None = None
    logs_url: str | None = None


class AifJobList(BaseModel):
    """A page of jobs."""

    jobs: list[AifJobListItem]
    total: int
    limit: int
    offset: int


class AifCancelResponse(BaseModel):
    """The answer to a cancellation."""

    message: str
