"""Why a job failed or waits, in one plain sentence: a pure function over what we know.

`explain` looks at the job's state, exit code, the scheduler's reason (Slurm's `Reason`, or the
local backend's `Resources`/`Launching`) and the tail of its stderr, and picks one of a few
common cases: time limit, out of memory, Windows line ends, a command or file not found...
The result carries a stable `key` (for clients and tests), the English sentence (translated
where it is shown) and the stderr line that gave it away, if any.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from aifhub.access import overrun_of
from aifhub.core.i18n import N_
from aifhub.schemas.enums.compute import LABELS, JobStatus

SENTENCES: dict[str, str] = {
    # Ended.
    "cancelled": N_("The job was cancelled before it finished (by you, a project manager or "
                    "an administrator)."),
    "time_limit": N_("The job reached its time limit and was stopped: ask for a longer time "
                     "limit, or save checkpoints and resume from them."),
    "out_of_memory": N_("The job ran out of memory and was killed: ask for more memory, or "
                        "make it use less (smaller batches or data chunks)."),
    "gpu_out_of_memory": N_("The GPU ran out of memory: use a smaller batch or model, or ask "
                            "for more GPUs."),
    "killed": N_("The job was killed (exit code 137, SIGKILL), most often because it used more "
                 "memory than it asked for: ask for more memory."),
    "crlf": N_("The script has Windows line ends (CRLF): save it with Unix line ends (LF), "
               "e.g. with dos2unix, and submit it again."),
    "bad_interpreter": N_("The first line of a script (#!) names an interpreter that does not "
                          "exist here: fix that line or load the module that provides it."),
    "command_not_found": N_("A command was not found (exit code 127): check its spelling, or "
                            "load the module that provides it (module load ...)."),
    "module_not_found": N_("A Python module is missing: install it in your environment, or "
                           "activate the environment that has it, in the script."),
    "missing_file": N_("A file or folder the job reads does not exist: check the path (a "
                       "relative path starts in the job's working directory)."),
    "permission_denied": N_("The job was not allowed to run or write a file: make scripts "
                            "executable (chmod +x) and write in the job's own folders."),
    "node_fail": N_("The node running the job failed; this is not your job's fault: submit it "
                    "again."),
    "lost": N_("The job's supervisor stopped without recording a result (e.g. the machine "
               "restarted): submit the job again."),
    "rejected": N_("The cluster refused the job before it ran; its reason is shown above."),
    "nonzero_exit": N_("The job's script ended with an error (a non-zero exit code): the last "
                       "lines of its error output (stderr) usually say why."),
    # Waiting or running.
    "waiting_delivery": N_("The job is recorded and about to be handed to the cluster."),
    "cancel_requested": N_("Cancellation was requested: the cluster stops the job within "
                           "seconds."),
    "waiting_priority": N_("Jobs with a higher priority are ahead of this one; it starts when "
                           "its turn comes."),
    "waiting_resources": N_("The job waits for the resources it asked for (cores, GPUs, "
                            "memory) to become free."),
    "launching": N_("The resources are granted; the job is starting."),
    "node_unavailable": N_("A node or the partition the job needs is not available now (down, "
                           "drained or reserved for maintenance); it waits until it is back."),
    "waiting_dependency": N_("The job waits for another job it depends on to finish."),
    "dependency_never": N_("The job depends on a job that failed, so it will never start: "
                           "cancel it."),
    "waiting_limits": N_("A limit of the project or of its QoS is reached (running jobs, "
                         "GPUs or hours); the job starts when other jobs end."),
    "begin_time": N_("The job waits for the start time it was given."),
    "held": N_("The job is held and will not start until it is released."),
}  # fmt: skip

# A job charged more than it reserved (Slurm stops a job up to ~30 s past its time limit, and
# the charge is recorded in full): said on its page with both figures.
RAN_OVER = N_("The job ran past its time limit: charged %(charged)s h, reserved %(reserved)s h. "
              "The scheduler stops a job a little after its limit and the whole run is charged; "
              "the difference comes out of the allocation's remaining hours.")  # fmt: skip

TERMINAL_FAILURES = frozenset({"failed", "timeout", "out_of_memory", "node_fail"})
WAITING = frozenset({"queued", "submitting", "pending"})

# Job states as the pages show them (the API keeps the raw values).
STATE_LABELS: dict[str, str] = {s.value: text for s, text in LABELS[JobStatus].items()}


@dataclass(frozen=True)
class Explanation:
    """One common case: its stable key, the English sentence, the stderr line that showed it."""

    key: str
    text: str
    evidence: str | None = None


def _made(key: str, evidence: str | None = None) -> Explanation:
    return Explanation(key, SENTENCES[key], evidence[:300] if evidence else None)


# Each pattern is searched line by line in the stderr tail; the last matching line is kept.
_CRLF = re.compile(r"\$'\\r'|\r: command not found|\^M|\r\s*: (?:bad interpreter|not found)|"
                   r"syntax error near unexpected token `\$'\\r''")  # fmt: skip
_TIME_LIMIT = re.compile(r"DUE TO TIME LIMIT")
_GPU_OOM = re.compile(r"CUDA out of memory|CUDA_ERROR_OUT_OF_MEMORY|OutOfMemoryError|"
                      r"cudaErrorMemoryAllocation|RESOURCE_EXHAUSTED: Out of memory")  # fmt: skip
_OOM = re.compile(r"oom[-_]kill|Out Of Memory|out of memory|MemoryError|std::bad_alloc|"
                  r"Cannot allocate memory|OUT_OF_MEMORY", re.IGNORECASE)  # fmt: skip
_BAD_INTERPRETER = re.compile(r"bad interpreter")
_MODULE = re.compile(r"ModuleNotFoundError|ImportError: No module named")
_NOT_FOUND = re.compile(r"command not found|: not found$")
_MISSING = re.compile(r"No such file or directory|FileNotFoundError|can't open file|"
                      r"cannot access|cannot open|does not exist")  # fmt: skip
_PERMISSION = re.compile(r"Permission denied|PermissionError")
_KILLED = re.compile(r"(?:^|\s)Killed(?:\s|$)")


def _last_line(pattern: re.Pattern[str], lines: list[str]) -> str | None:
    for line in reversed(lines):
        if pattern.search(line):
            return line.strip() or line
    return None


def _lines(stderr_tail: str) -> list[str]:
    # Keep a lone \r inside a line (a CRLF script's tell-tale): split on \n only.
    return [line for line in stderr_tail.split("\n") if line.strip()]


def explain(
    state: str,
    *,
    exit_code: int | None = None,
    reason: str | None = None,
    stderr_tail: str = "",
    cancel_requested: bool = False,
    delivered: bool = True,
) -> Explanation | None:
    """The plain explanation of a job's state, or None when there is nothing to explain.

    `delivered` is False when the job never reached the cluster (no backend id): a failure is
    then the cluster's refusal. `stderr_tail` is the end of the job's stderr (a few KiB).
    """
    if state == "completed":
        return None
    if state in WAITING or state == "running":
        return _waiting(state, reason, cancel_requested)
    lines = _lines(stderr_tail)
    if state == "cancelled":
        return _made("cancelled")
    if state == "timeout":
        return _made("time_limit", _last_line(_TIME_LIMIT, lines))
    if state == "node_fail":
        return _made("node_fail")
    if not delivered and exit_code is None:
        return _made("rejected")
    found = _from_stderr(lines)
    if found is not None:
        # Slurm's OUT_OF_MEMORY state says "memory" even when stderr names another symptom.
        if state == "out_of_memory" and found.key not in ("out_of_memory", "gpu_out_of_memory"):
            return _made("out_of_memory")
        return found
    if state == "out_of_memory":
        return _made("out_of_memory")
    if reason and reason.startswith("lost"):
        return _made("lost")
    return _from_exit_code(exit_code)


def _from_stderr(lines: list[str]) -> Explanation | None:
    checks: Iterable[tuple[str, re.Pattern[str]]] = (
        ("time_limit", _TIME_LIMIT),
        ("crlf", _CRLF),
        ("gpu_out_of_memory", _GPU_OOM),
        ("out_of_memory", _OOM),
        ("bad_interpreter", _BAD_INTERPRETER),
        ("module_not_found", _MODULE),
        ("command_not_found", _NOT_FOUND),
        ("missing_file", _MISSING),
        ("permission_denied", _PERMISSION),
        ("killed", _KILLED),
    )
    for key, pattern in checks:
        line = _last_line(pattern, lines)
        if line is not None:
            return _made(key, line)
    return None


def _from_exit_code(exit_code: int | None) -> Explanation | None:
    if exit_code == 127:
        return _made("command_not_found")
    if exit_code == 126:
        return _made("permission_denied")
    if exit_code == 137:
        return _made("killed")
    if exit_code is None or exit_code == 0:
        return None
    return _made("nonzero_exit")


_PENDING_REASONS: tuple[tuple[str, str], ...] = (
    # (prefix of Slurm's Reason or the local backend's, key); the first match wins.
    ("Priority", "waiting_priority"),
    ("Resources", "waiting_resources"),
    ("Launching", "launching"),
    ("ReqNodeNotAvail", "node_unavailable"),
    ("NodeDown", "node_unavailable"),
    ("PartitionDown", "node_unavailable"),
    ("PartitionInactive", "node_unavailable"),
    ("Reservation", "node_unavailable"),
    ("DependencyNeverSatisfied", "dependency_never"),
    ("Dependency", "waiting_dependency"),
    ("BeginTime", "begin_time"),
    ("JobHeld", "held"),
    ("QOS", "waiting_limits"),
    ("Assoc", "waiting_limits"),
    ("MaxGRES", "waiting_limits"),
    ("PartitionTimeLimit", "waiting_limits"),
)


def _waiting(state: str, reason: str | None, cancel_requested: bool) -> Explanation | None:
    if cancel_requested:
        return _made("cancel_requested")
    if state in ("queued", "submitting"):
        return _made("waiting_delivery")
    if state == "running":
        return None
    text = (reason or "").strip()
    for prefix, key in _PENDING_REASONS:
        if text.startswith(prefix):
            return _made(key)
    return None


@dataclass(frozen=True)
class RanOver:
    """A job charged more than it reserved: both figures and the difference (the overrun)."""

    charged: Decimal
    reserved: Decimal
    hours: Decimal
    text: str = RAN_OVER


def ran_over(charged: Decimal | None, reserved: Decimal) -> RanOver | None:
    """The job's overrun (the ledger's overrun_of: charged beyond reserved), or None when it was
    not charged yet or stayed within its reservation."""
    if charged is None:
        return None
    over = overrun_of(charged, reserved)
    return RanOver(charged, reserved, over) if over > 0 else None
