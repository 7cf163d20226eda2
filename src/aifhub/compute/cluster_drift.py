"""Drift between what the site file declares and what Slurm has: pure comparisons.

Each finding is a sentence an operator can act on, kept as an English msgid with named
placeholders (so the staff page shows it in the reader's language) and a severity: an
`error` means jobs would be refused, never start, or run past their allocation; a `warning`
means the platform offers less than the cluster has.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from aifhub.backends.slurm.inspect import SlurmSettings, SlurmView, parse_slurm_duration
from aifhub.core.i18n import N_

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One drift: `text` is an English msgid, `params` fill its %(name)s placeholders."""

    severity: Severity
    text: str
    params: Mapping[str, Any] = field(default_factory=dict)
    partition: str | None = None

    @property
    def message(self) -> str:
        """The sentence in English (CLI, log); pages show `_(text, **params)`."""
        return self.text % dict(self.params) if self.params else self.text


@dataclass(frozen=True)
class DeclaredPartition:
    """A partition as the site file declares it (a snapshot of its Partition row)."""

    name: str
    max_time_s: int
    gpus_per_node: int
    mem_mb_per_node: int
    cores_per_node: int


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "UNLIMITED"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days}-{clock}" if days else clock


def compare_partitions(declared: Sequence[DeclaredPartition], view: SlurmView) -> list[Finding]:
    """Each declared partition against Slurm's: missing, down, time limit, nodes' sizes."""
    findings: list[Finding] = []
    for part in declared:
        findings.extend(_compare_one(part, view))
    return findings


def _compare_one(part: DeclaredPartition, view: SlurmView) -> list[Finding]:
    name = part.name
    found = view.partitions.get(name)
    if found is None:
        return [Finding("error", N_(
            "Partition %(partition)s is declared in the site file but Slurm has no such "
            "partition: jobs sent there are refused. Add it to slurm.conf or remove it from "
            "the site file."), {"partition": name}, name)]  # fmt: skip
    out: list[Finding] = []
    if found.state.upper() != "UP":
        out.append(Finding("error", N_(
            "Partition %(partition)s is %(state)s in Slurm: its jobs wait or are refused until "
            "it is set UP (scontrol update PartitionName=%(partition)s State=UP)."),
            {"partition": name, "state": found.state}, name))  # fmt: skip
    site, slurm = part.max_time_s, found.max_time_s
    times = {"partition": name, "site": _duration(site), "slurm": _duration(slurm)}
    if slurm is not None and site > slurm:
        out.append(Finding("error", N_(
            "Partition %(partition)s: the site file allows jobs of up to %(site)s but Slurm's "
            "MaxTime is %(slurm)s: longer jobs are refused at submission. Lower max_time in "
            "the site file or raise MaxTime in slurm.conf."), times, name))  # fmt: skip
    elif slurm is None or site < slurm:
        out.append(Finding("warning", N_(
            "Partition %(partition)s: the site file allows jobs of up to %(site)s while "
            "Slurm's MaxTime is %(slurm)s: users cannot ask for the time the cluster gives. "
            "Raise max_time in the site file if that is not intended."), times, name))  # fmt: skip
    nodes = view.nodes_of(name)
    if not nodes:
        out.append(Finding("error", N_(
            "Partition %(partition)s has no nodes in Slurm: its jobs never start. Add nodes "
            "to it in slurm.conf."), {"partition": name}, name))  # fmt: skip
        return out
    usable = [n for n in nodes if n.usable]
    if not usable:
        states = ", ".join(sorted({f"{n.name} {n.state}" for n in nodes}))
        out.append(Finding("error", N_(
            "Partition %(partition)s has no usable node (%(states)s): its jobs wait until a "
            "node is resumed (scontrol update NodeName=... State=RESUME)."),
            {"partition": name, "states": states}, name))  # fmt: skip
    sizes = (
        ("gpus_per_node", part.gpus_per_node, [n.gpus for n in nodes]),
        ("mem_mb_per_node", part.mem_mb_per_node, [n.real_memory_mb for n in nodes]),
        ("cores_per_node", part.cores_per_node, [n.cpus for n in nodes]),
    )
    for setting, site_value, slurm_values in sizes:
        out.extend(_size_finding(name, setting, site_value, slurm_values))
    return out


# One sentence per size and direction (above: jobs never start; below: capacity unused).
_ABOVE = {
    "gpus_per_node": N_(
        "Partition %(partition)s: the site file declares gpus_per_node = %(site)s but its "
        "nodes have at most %(slurm)s GPUs: jobs asking for a full node never start. Lower "
        "gpus_per_node in the site file."),
    "mem_mb_per_node": N_(
        "Partition %(partition)s: the site file declares mem_mb_per_node = %(site)s but its "
        "nodes have at most %(slurm)s MB of memory (RealMemory): jobs asking for a full node "
        "never start. Lower mem_mb_per_node in the site file."),
    "cores_per_node": N_(
        "Partition %(partition)s: the site file declares cores_per_node = %(site)s but its "
        "nodes have at most %(slurm)s cores: jobs asking for a full node never start. Lower "
        "cores_per_node in the site file."),
}  # fmt: skip
_BELOW = {
    "gpus_per_node": N_(
        "Partition %(partition)s: the site file declares gpus_per_node = %(site)s but its "
        "nodes have %(slurm)s GPUs: users cannot ask for all of a node. Raise gpus_per_node "
        "in the site file if that is not intended."),
    "mem_mb_per_node": N_(
        "Partition %(partition)s: the site file declares mem_mb_per_node = %(site)s but its "
        "nodes have %(slurm)s MB of memory: users cannot ask for all of a node. Raise "
        "mem_mb_per_node in the site file if that is not intended."),
    "cores_per_node": N_(
        "Partition %(partition)s: the site file declares cores_per_node = %(site)s but its "
        "nodes have %(slurm)s cores: users cannot ask for all of a node. Raise cores_per_node "
        "in the site file if that is not intended."),
}  # fmt: skip


def _size_finding(
    partition: str, setting: str, site: int, slurm_values: Sequence[int]
) -> list[Finding]:
    largest, smallest = max(slurm_values), min(slurm_values)
    if site > largest:
        params = {"partition": partition, "site": site, "slurm": largest}
        return [Finding("error", _ABOVE[setting], params, partition)]
    if site < smallest and not (setting == "gpus_per_node" and site == 0):
        # (a CPU partition on GPU nodes offers no GPU on purpose)
        params = {"partition": partition, "site": site, "slurm": smallest}
        return [Finding("warning", _BELOW[setting], params, partition)]
    return []


def check_settings(settings: SlurmSettings | None, error: str | None = None) -> list[Finding]:
    """The scheduler settings the allocation push relies on."""
    if settings is None:
        return [Finding("warning", N_(
            "Slurm's settings could not be read (%(error)s): AccountingStorageEnforce and the "
            "priority settings were not checked."), {"error": error or "no answer"})]  # fmt: skip
    out: list[Finding] = []
    enforce = settings.accounting_storage_enforce
    missing = [flag for flag in ("limits", "safe") if flag not in enforce]
    if missing:
        values = {"value": ",".join(enforce) or "none", "missing": ", ".join(missing)}
        out.append(Finding("error", N_(
            "AccountingStorageEnforce is '%(value)s' and lacks %(missing)s: Slurm does not hold "
            "jobs to the pushed GrpTRESMins, so projects can run past their allocation. Set "
            "AccountingStorageEnforce=associations,limits,safe in slurm.conf."),
            values))  # fmt: skip
    if settings.priority_type != "priority/multifactor":
        out.append(Finding("error", N_(
            "PriorityType is %(value)s, not priority/multifactor: Slurm records no usage per "
            "account, so the pushed GrpTRESMins are never reached. Set "
            "PriorityType=priority/multifactor in slurm.conf."),
            {"value": settings.priority_type or "unset"}))  # fmt: skip
    if _nonzero(settings.priority_decay_half_life):
        out.append(Finding("error", N_(
            "PriorityDecayHalfLife is %(value)s: Slurm halves the recorded usage every "
            "%(value)s, so the pushed GrpTRESMins grow generous and projects run past their "
            "allocation. Set PriorityDecayHalfLife=0 in slurm.conf."),
            {"value": settings.priority_decay_half_life}))  # fmt: skip
    if settings.priority_usage_reset_period.upper() != "NONE":
        out.append(Finding("error", N_(
            "PriorityUsageResetPeriod is %(value)s: Slurm resets the recorded usage every "
            "period, so the pushed GrpTRESMins grow generous and projects run past their "
            "allocation. Set PriorityUsageResetPeriod=NONE in slurm.conf."),
            {"value": settings.priority_usage_reset_period or "unset"}))  # fmt: skip
    return out


def _nonzero(value: str) -> bool:
    try:
        return bool(parse_slurm_duration(value or "0"))
    except ValueError:
        return True
