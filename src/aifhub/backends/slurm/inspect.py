"""Slurm's own view of a cluster (partitions, nodes, the settings the push relies on) and
whether its daemons answer: pure parsers of scontrol's and slurmrestd's answers, and one-call
readers with short timeouts, so that a dead daemon never hangs a page.

CLI clusters are read with ``scontrol show partition -o``, ``scontrol show node -o`` and
``scontrol show config``; slurmrest clusters with slurmrestd's ``/partitions`` and ``/nodes``
(v0.0.38), their settings still with ``scontrol show config`` (slurmrestd does not serve the
configuration; the host that mints its tokens has the tools).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aifhub.backends.base import BackendError
from aifhub.backends.slurm.commands import run_slurm_command
from aifhub.backends.slurm.rest import SlurmRestBackend

CHECK_TIMEOUT_S = 5.0
_KEY = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)=(.*)$")
_UNLIMITED = {"UNLIMITED", "INFINITE", "NONE"}


@dataclass(frozen=True)
class SlurmPartition:
    """A partition as slurmctld knows it; max_time_s None means UNLIMITED."""

    name: str
    state: str
    max_time_s: int | None
    total_cpus: int = 0
    total_nodes: int = 0


@dataclass(frozen=True)
class SlurmNode:
    """A node as slurmctld knows it (memory in MB, GPUs summed over its gpu gres)."""

    name: str
    state: str
    cpus: int
    real_memory_mb: int
    gpus: int
    partitions: tuple[str, ...]

    @property
    def usable(self) -> bool:
        """False for a node that is down, drained or failing: jobs will not start there."""
        flags = set(re.split(r"[+*]", self.state.upper()))
        return not flags & {"DOWN", "DRAIN", "DRAINED", "DRAINING", "FAIL", "FAILING",
                            "NOT_RESPONDING", "FUTURE", "INVAL", "UNKNOWN"}  # fmt: skip


@dataclass(frozen=True)
class SlurmSettings:
    """The scheduler settings the allocation push relies on (scontrol show config)."""

    accounting_storage_enforce: tuple[str, ...]
    priority_type: str
    priority_decay_half_life: str
    priority_usage_reset_period: str


@dataclass
class SlurmView:
    """What Slurm says a cluster has; `settings` is None when they could not be read."""

    partitions: dict[str, SlurmPartition]
    nodes: list[SlurmNode]
    settings: SlurmSettings | None = None
    settings_error: str | None = None

    def nodes_of(self, partition: str) -> list[SlurmNode]:
        """The nodes that belong to this partition."""
        return [n for n in self.nodes if partition in n.partitions]


@dataclass(frozen=True)
class DaemonHealth:
    """One daemon's answer: up, or down with a sentence saying why."""

    daemon: str  # slurmctld / slurmdbd / slurmrestd
    up: bool
    detail: str = ""

    @property
    def text(self) -> str:
        """'up' or 'down: <why>'."""
        return "up" if self.up else f"down: {self.detail}"


# ---------------------------------------------------------------------------- pure parsers


def parse_one_line(line: str) -> dict[str, str]:
    """`Key=Value Key=Value ...` of scontrol's -o output; a value may contain spaces
    (``OS=Linux 6.1 #1 SMP``): a word without ``Key=`` continues the previous value."""
    out: dict[str, str] = {}
    last: str | None = None
    for word in line.split():
        m = _KEY.match(word)
        if m:
            last = m.group(1)
            out[last] = m.group(2)
        elif last is not None:
            out[last] += " " + word
    return out


def parse_slurm_duration(value: str) -> int | None:
    """Seconds from Slurm's time formats (`MM`, `MM:SS`, `HH:MM:SS`, `D-HH[:MM[:SS]]`);
    None for UNLIMITED / INFINITE. ValueError for anything else."""
    text = value.strip()
    if text.upper() in _UNLIMITED:
        return None
    days = 0
    if "-" in text:
        d, _, text = text.partition("-")
        days = int(d)
        parts = [int(p) for p in text.split(":")]
        hours, minutes, seconds = (parts + [0, 0])[:3]
    else:
        parts = [int(p) for p in text.split(":")]
        if len(parts) == 1:
            hours, minutes, seconds = 0, parts[0], 0
        elif len(parts) == 2:
            hours, minutes, seconds = 0, parts[0], parts[1]
        elif len(parts) == 3:
            hours, minutes, seconds = parts
        else:
            raise ValueError(f"not a Slurm duration: {value!r}")
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def parse_gres_gpus(gres: str) -> int:
    """GPUs in a node's Gres: `gpu:2`, `gpu:a100:4(S:0-1)`, `gpu:a100:2,gpu:v100:2` -> 2, 4, 4."""
    total = 0
    for item in re.sub(r"\([^)]*\)", "", gres).split(","):
        fields = item.strip().split(":")
        if fields[0] != "gpu" or len(fields) < 2:
            continue
        count = fields[-1]
        total += int(count) if count.isdigit() else 1
    return total


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0


def parse_partitions(text: str) -> dict[str, SlurmPartition]:
    """`scontrol show partition -o` -> partitions by name."""
    found = {}
    for line in text.splitlines():
        kv = parse_one_line(line)
        if "PartitionName" not in kv:
            continue
        found[kv["PartitionName"]] = SlurmPartition(
            name=kv["PartitionName"],
            state=kv.get("State", "UNKNOWN"),
            max_time_s=parse_slurm_duration(kv.get("MaxTime", "UNLIMITED")),
            total_cpus=_int(kv.get("TotalCPUs")),
            total_nodes=_int(kv.get("TotalNodes")),
        )
    return found


def parse_nodes(text: str) -> list[SlurmNode]:
    """`scontrol show node -o` -> nodes."""
    nodes = []
    for line in text.splitlines():
        kv = parse_one_line(line)
        if "NodeName" not in kv:
            continue
        partitions = kv.get("Partitions", "")
        nodes.append(
            SlurmNode(
                name=kv["NodeName"],
                state=kv.get("State", "UNKNOWN"),
                cpus=_int(kv.get("CPUTot")),
                real_memory_mb=_int(kv.get("RealMemory")),
                gpus=parse_gres_gpus(kv.get("Gres", "")),
                partitions=tuple(p for p in partitions.split(",") if p and p != "(null)"),
            )
        )
    return nodes


def parse_config(text: str) -> SlurmSettings:
    """`scontrol show config` (`Key = value` lines) -> the settings the push relies on."""
    kv: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            kv[key.strip()] = value.strip()
    enforce = kv.get("AccountingStorageEnforce", "none")
    return SlurmSettings(
        accounting_storage_enforce=tuple(
            e.strip().lower() for e in enforce.split(",") if e.strip() and e.strip() != "none"
        ),
        priority_type=kv.get("PriorityType", ""),
        priority_decay_half_life=kv.get("PriorityDecayHalfLife", ""),
        priority_usage_reset_period=kv.get("PriorityUsageResetPeriod", ""),
    )


def _rest_number(value: Any) -> int | None:
    """A v0.0.38 number (-1: unlimited), or a newer {"set", "infinite", "number"} object."""
    if isinstance(value, dict):
        if value.get("infinite") or not value.get("set", True):
            return None
        value = value.get("number")
    if not isinstance(value, int) or value < 0:
        return None
    return value


def parse_rest_partitions(data: Mapping[str, Any]) -> dict[str, SlurmPartition]:
    """slurmrestd's GET /partitions answer -> partitions by name (max_time_limit is minutes)."""
    found = {}
    for p in data.get("partitions", []):
        minutes = _rest_number(p.get("max_time_limit"))
        state = p.get("state")
        if isinstance(state, list):  # newer API versions: a list of flags
            state = "+".join(state)
        found[p["name"]] = SlurmPartition(
            name=p["name"],
            state=str(state or "UNKNOWN").upper(),
            max_time_s=None if minutes is None else minutes * 60,
            total_cpus=_rest_number(p.get("total_cpus")) or 0,
            total_nodes=_rest_number(p.get("total_nodes")) or 0,
        )
    return found


def parse_rest_nodes(data: Mapping[str, Any]) -> list[SlurmNode]:
    """slurmrestd's GET /nodes answer -> nodes."""
    nodes = []
    for n in data.get("nodes", []):
        state = n.get("state", "unknown")
        flags = [*(state if isinstance(state, list) else [state]), *n.get("state_flags", [])]
        nodes.append(
            SlurmNode(
                name=n["name"],
                state="+".join(str(f).upper() for f in flags),
                cpus=_rest_number(n.get("cpus")) or 0,
                real_memory_mb=_rest_number(n.get("real_memory")) or 0,
                gpus=parse_gres_gpus(str(n.get("gres") or "")),
                partitions=tuple(n.get("partitions") or ()),
            )
        )
    return nodes


# ---------------------------------------------------------------------------- readers


def _tool(bin_dir: str | None, name: str) -> str:
    return str(Path(bin_dir) / name) if bin_dir else name


async def _run(
    env: Mapping[str, str], bin_dir: str | None, cmd: Sequence[str], timeout_s: float
) -> str:
    return await run_slurm_command([_tool(bin_dir, cmd[0]), *cmd[1:]], env, None, timeout_s)


async def read_settings(
    env: Mapping[str, str], bin_dir: str | None = None, timeout_s: float = CHECK_TIMEOUT_S
) -> SlurmSettings:
    """`scontrol show config`, parsed; BackendError (or BackendUnavailable) when it fails."""
    return parse_config(await _run(env, bin_dir, ["scontrol", "show", "config"], timeout_s))


async def read_cli_view(
    env: Mapping[str, str], bin_dir: str | None = None, timeout_s: float = CHECK_TIMEOUT_S
) -> SlurmView:
    """Partitions, nodes and settings through scontrol (three calls at once)."""
    parts, nodes, config = await asyncio.gather(
        _run(env, bin_dir, ["scontrol", "show", "partition", "-o"], timeout_s),
        _run(env, bin_dir, ["scontrol", "show", "node", "-o"], timeout_s),
        _run(env, bin_dir, ["scontrol", "show", "config"], timeout_s),
    )
    return SlurmView(parse_partitions(parts), parse_nodes(nodes), parse_config(config))


async def _rest_get(backend: SlurmRestBackend, path: str, timeout_s: float) -> dict[str, Any]:
    # Bounded as a whole: minting a token runs scontrol, which waits for slurmctld.
    async with asyncio.timeout(timeout_s):
        return await backend._request("GET", f"/slurm/{backend.api}/{path}", timeout=timeout_s)


async def read_rest_view(
    backend: SlurmRestBackend, timeout_s: float = CHECK_TIMEOUT_S
) -> SlurmView:
    """Partitions and nodes through slurmrestd; settings through scontrol when it runs here."""
    parts, nodes = await asyncio.gather(
        _rest_get(backend, "partitions", timeout_s), _rest_get(backend, "nodes", timeout_s)
    )
    view = SlurmView(parse_rest_partitions(parts), parse_rest_nodes(nodes))
    try:
        view.settings = await read_settings(backend.env, None, timeout_s)
    except BackendError as exc:
        view.settings_error = str(exc)
    return view


def _reason(exc: BaseException, what: str) -> str:
    if isinstance(exc, TimeoutError):
        return f"{what} did not answer within the check's time limit."
    text = str(exc).strip().rstrip(".") or type(exc).__name__
    return f"{text}."


async def ping_slurmctld(
    env: Mapping[str, str], bin_dir: str | None = None, timeout_s: float = CHECK_TIMEOUT_S
) -> DaemonHealth:
    """`scontrol ping`: up when a controller answers UP."""
    try:
        out = await _run(env, bin_dir, ["scontrol", "ping"], timeout_s)
    except (BackendError, TimeoutError) as exc:
        return DaemonHealth("slurmctld", False, _reason(exc, "scontrol ping"))
    if " is UP" in out:
        return DaemonHealth("slurmctld", True)
    line = out.strip().splitlines()[0] if out.strip() else "no answer"
    return DaemonHealth("slurmctld", False, f"scontrol ping says: {line}.")


async def ping_slurmdbd(
    env: Mapping[str, str],
    bin_dir: str | None = None,
    cluster_name: str | None = None,
    timeout_s: float = CHECK_TIMEOUT_S,
) -> DaemonHealth:
    """`sacctmgr -n -P show cluster`: up when slurmdbd answers (and knows the cluster)."""
    try:
        out = await _run(env, bin_dir, ["sacctmgr", "-n", "-P", "show", "cluster"], timeout_s)
    except (BackendError, TimeoutError) as exc:
        return DaemonHealth("slurmdbd", False, _reason(exc, "sacctmgr"))
    names = [line.split("|", 1)[0] for line in out.splitlines() if line.strip()]
    if cluster_name and cluster_name not in names:
        return DaemonHealth(
            "slurmdbd",
            False,
            f"slurmdbd answers but does not know the cluster '{cluster_name}' "
            f"(it knows: {', '.join(names) or 'none'}); check ClusterName in slurm.conf.",
        )
    return DaemonHealth("slurmdbd", True)


async def ping_slurmrestd(
    backend: SlurmRestBackend, timeout_s: float = CHECK_TIMEOUT_S
) -> DaemonHealth:
    """slurmrestd's /ping: up when it answers (its answer also says whether slurmctld is UP)."""
    try:
        await _rest_get(backend, "ping", timeout_s)
    except (BackendError, TimeoutError) as exc:
        return DaemonHealth("slurmrestd", False, _reason(exc, f"slurmrestd at {backend.url}"))
    return DaemonHealth("slurmrestd", True)
