"""The submission form's choices: the project's partitions with their hours, what to preselect,
the inputs the project may name, and the script templates.

Nothing here decides what a submission may do: `service.submit_job` does. The form only
preselects what the project can use, so that its defaults pass those checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from aifhub import access, resources
from aifhub.compute import inputs as input_hooks
from aifhub.compute import service
from aifhub.compute.inputs import UsableInput
from aifhub.core.errors import NotFound
from aifhub.core.i18n import N_
from aifhub.identity.models import User
from aifhub.resources import Partition

TEMPLATES_DIR = Path(__file__).resolve().parent / "script_templates"
# (key, title): the file is script_templates/<key>.sh.
SCRIPT_TEMPLATES: tuple[tuple[str, str], ...] = (
    ("pytorch_training", N_("PyTorch training")),
    ("python_file", N_("Run a Python file")),
    ("notebook", N_("Run a notebook")),
)
BLANK_SCRIPT = "#!/bin/bash\n"


def script_template(key: str) -> str:
    """The text of a script template (NotFound for an unknown key)."""
    if key not in dict(SCRIPT_TEMPLATES):
        known = ", ".join(k for k, _ in SCRIPT_TEMPLATES)
        raise NotFound(f"No script template '{key}'; choose one of {known}.", field="template")
    return (TEMPLATES_DIR / f"{key}.sh").read_text(encoding="utf-8")


@dataclass(frozen=True)
class PartitionChoice:
    """A partition offered by the form, with what the project has left there (None: nothing)."""

    partition: Partition
    remaining: Decimal | None

    @property
    def gpu(self) -> bool:
        """True when the partition charges GPU hours (a job there needs at least one GPU)."""
        return self.partition.unit == "gpu_hours"


@dataclass
class FormChoices:
    """What the form offers for one project, and what it preselects."""

    projects: list[str]
    project: str | None  # the project the form is for (None: the user is in no project)
    partitions: list[PartitionChoice] = field(default_factory=list)
    partition: str | None = None  # the preselected partition key
    gpus: int = 0  # the GPUs to propose on that partition
    inputs: list[UsableInput] = field(default_factory=list)

    @property
    def can_submit(self) -> bool:
        """False when the project has no allocation it can submit with now."""
        return any(c.remaining is not None for c in self.partitions)


async def _project_partitions(
    session: AsyncSession, project_id: int, *, wanted: str | None
) -> list[PartitionChoice]:
    """The partitions the project has an active allocation on, plus `wanted` if it is another
    usable partition (a link may name it: the form shows it and the estimate says why not)."""
    paying = await access.paying_allocations(session, project_id=project_id)
    out = []
    for partition, _ in await resources.list_usable_partitions(session):
        if partition.id in paying:
            out.append(PartitionChoice(partition, paying[partition.id][1].remaining))
        elif partition.key == wanted:
            out.append(PartitionChoice(partition, None))
    return out


def _preselect(choices: list[PartitionChoice], wanted: str | None) -> PartitionChoice | None:
    """The wanted partition if offered; else the first with hours left; else the first."""
    for choice in choices:
        if choice.partition.key == wanted:
            return choice
    with_hours = [c for c in choices if c.remaining is not None and c.remaining > 0]
    offered = with_hours or choices
    return offered[0] if offered else None


async def form_choices(
    session: AsyncSession,
    user: User,
    *,
    project: str | None,
    partition: str | None,
    job_inputs: input_hooks.JobInputs | None,
) -> FormChoices:
    """The form for `project` (else the user's first project that can submit, else the first)."""
    slugs = await service.member_project_slugs(session, user)
    if not slugs:
        return FormChoices(projects=[], project=None)
    candidates = [project] if project in slugs else slugs
    chosen = None
    for slug in candidates:
        row = await service.member_project(session, user, slug)
        parts = await _project_partitions(session, row.id, wanted=partition)
        has_hours = any(c.remaining is not None and c.remaining > 0 for c in parts)
        if chosen is None or has_hours:
            chosen = (row, parts)
        if has_hours:
            break
    assert chosen is not None
    row, parts = chosen
    selected = _preselect(parts, partition)
    return FormChoices(
        projects=slugs,
        project=row.slug,
        partitions=parts,
        partition=selected.partition.key if selected else None,
        gpus=1 if selected is not None and selected.gpu else 0,
        inputs=await input_hooks.usable_inputs(job_inputs, session, user=user, project=row),
    )
