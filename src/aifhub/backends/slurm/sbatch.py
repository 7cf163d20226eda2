"""Pure helpers of the Slurm backends: the batch script, the state map, sacct/squeue parsing.

Nothing here runs a process, so all of it is unit-tested and benchmarked without a cluster.
"""

from __future__ import annotations

import math
import re
import shlex
from datetime import datetime

from aifhub.backends.base import AccountingRecord, JobSpec, JobState
from aifhub.schemas.job_env import input_env_name

# Allow-lists for values that end up on "#SBATCH" lines. sbatch splits those lines on
# whitespace and honours quotes, so whitespace and quotes are refused outright, as are
# newlines (a new line would be a new directive) and shell metacharacters.
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+:@=-]{0,127}")
_SLURM_ENTITY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")  # account, partition, qos
_CONSTRAINT = re.compile(r"[A-Za-z0-9_.:&|*\[\]()!,-]{1,256}")
_COMMENT = re.compile(r"[A-Za-z0-9_.:,=@/+-]{1,256}")
_PATH = re.compile(r"/[A-Za-z0-9_./+@%-]{0,1023}")
_LOGIN = re.compile(r"[a-z_][a-z0-9_.-]{0,31}")
_ENV_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")

BODY_MARKER = "# ---- aifhub: end of #SBATCH directives; the job's own script follows ----"


def _check(label: str, value: str, pattern: re.Pattern[str]) -> str:
    if not pattern.fullmatch(value):
        raise ValueError(
            f"invalid {label} {value!r}: only letters, digits and {pattern.pattern!r} are allowed "
            "(no whitespace, quotes, newlines or shell characters)"
        )
    return value


def validate_login(login: str) -> str:
    """Check a cluster login name (used as an argv item for runuser)."""
    return _check("user", login, _LOGIN)


def slurm_time(seconds: int) -> str:
    """Slurm --time value: whole minutes, rounded up (Slurm's own resolution)."""
    if seconds <= 0:
        raise ValueError("time_limit_s must be positive")
    return str(math.ceil(seconds / 60))


def render_sbatch(spec: JobSpec, log_dir: str | None = None) -> str:
    """Render the batch script for ``spec``: validated directives, then the exported env, then
    the body. Raises ValueError for any value that could inject a directive or shell code.

    Output goes to ``<log_dir>/aifhub-<jobid>.out|.err`` when ``log_dir`` is given, else to
    ``aifhub-<jobid>.out|.err`` in the job's working directory.
    """
    d: list[str] = []
    d.append(f"--job-name={_check('job name', spec.name, _NAME)}")
    d.append(f"--partition={_check('partition', spec.partition, _SLURM_ENTITY)}")
    if spec.account is not None:
        d.append(f"--account={_check('account', spec.account, _SLURM_ENTITY)}")
    if spec.qos is not None:
        d.append(f"--qos={_check('qos', spec.qos, _SLURM_ENTITY)}")
    if spec.constraint is not None:
        d.append(f"--constraint={_check('constraint', spec.constraint, _CONSTRAINT)}")
    if spec.comment is not None:
        d.append(f"--comment={_check('comment', spec.comment, _COMMENT)}")
    for label, n, minimum in (
        ("nodes", spec.nodes, 1),
        ("ntasks", spec.ntasks, 1),
        ("cpus_per_task", spec.cpus_per_task, 1),
        ("gpus", spec.gpus, 0),
    ):
        if not isinstance(n, int) or isinstance(n, bool) or n < minimum:
            raise ValueError(f"{label} must be an integer >= {minimum}, not {n!r}")
    d.append(f"--time={slurm_time(spec.time_limit_s)}")
    d.append(f"--nodes={spec.nodes}")
    d.append(f"--ntasks={spec.ntasks}")
    d.append(f"--cpus-per-task={spec.cpus_per_task}")
    if spec.gpus:
        d.append(f"--gres=gpu:{spec.gpus}")
    if spec.mem_mb is not None:
        if not isinstance(spec.mem_mb, int) or spec.mem_mb <= 0:
            raise ValueError(f"mem_mb must be a positive integer, not {spec.mem_mb!r}")
        d.append(f"--mem={spec.mem_mb}M")
    if spec.workdir is not None:
        d.append(f"--chdir={_check('workdir', spec.workdir, _PATH)}")
    out_dir = "" if log_dir is None else _check("log_dir", log_dir.rstrip("/"), _PATH) + "/"
    d.append(f"--output={out_dir}aifhub-%j.out")
    d.append(f"--error={out_dir}aifhub-%j.err")

    lines = ["#!/bin/bash"] + [f"#SBATCH {x}" for x in d]
    # sbatch stops reading directives at the first command line: this no-op makes sure a
    # "#SBATCH" line in the user's body (or in an env value) is just a comment.
    lines += [BODY_MARKER, ":"]
    env = dict(spec.env)
    for staged in spec.inputs:
        # Slurm has no private mounts: the job reads inputs where they are on the shared fs.
        env.setdefault(input_env_name(staged.name), staged.source_path)
    for key, value in env.items():
        _check("environment variable name", key, _ENV_KEY)
        lines.append(f"export {key}={shlex.quote(value)}")
    lines.append(spec.script)
    return "\n".join(lines) + "\n"


_STATE_MAP = {
    "PENDING": JobState.PENDING,
    "CONFIGURING": JobState.PENDING,  # nodes allocated but booting: the job has not started
    "REQUEUED": JobState.PENDING,
    "REQUEUE_HOLD": JobState.PENDING,
    "REQUEUE_FED": JobState.PENDING,
    "RESV_DEL_HOLD": JobState.PENDING,
    "RUNNING": JobState.RUNNING,
    "COMPLETING": JobState.RUNNING,  # still holds its nodes while epilogs run
    "SUSPENDED": JobState.RUNNING,  # still holds its allocation
    "STOPPED": JobState.RUNNING,
    "SIGNALING": JobState.RUNNING,
    "STAGE_OUT": JobState.RUNNING,
    "RESIZING": JobState.RUNNING,
    "COMPLETED": JobState.COMPLETED,
    "FAILED": JobState.FAILED,
    "SPECIAL_EXIT": JobState.FAILED,
    "CANCELLED": JobState.CANCELLED,
    "PREEMPTED": JobState.CANCELLED,  # stopped by the scheduler, not by its own fault
    "TIMEOUT": JobState.TIMEOUT,
    "DEADLINE": JobState.TIMEOUT,  # ended at its --deadline: a time limit
    "NODE_FAIL": JobState.NODE_FAIL,
    "BOOT_FAIL": JobState.NODE_FAIL,  # the node failed to boot: a node failure
    "OUT_OF_MEMORY": JobState.OUT_OF_MEMORY,
}


def map_slurm_state(state: str) -> JobState:
    """Map a Slurm state ("CANCELLED by 0", "RUNNING", "OUT_OF_ME+"...) to a JobState."""
    found = _STATE_MAP.get(state)  # fast path: the exact word, as sacct prints it mostly
    if found is not None:
        return found
    word = state.strip().split(" ", 1)[0].rstrip("+").upper()
    return _STATE_MAP.get(word, JobState.UNKNOWN)


def parse_slurm_time(value: str) -> datetime | None:
    """Parse a Slurm timestamp printed with TZ=UTC; "Unknown", "None", "N/A" give None."""
    if not value or value[0] not in "0123456789":
        return None
    try:
        # parsing the offset is cheaper than datetime.replace() on every row
        return datetime.fromisoformat(value + "+00:00")
    except ValueError:
        return None


def parse_exit_code(value: str) -> int | None:
    """sacct "code:signal" -> the exit code, 128+signal when killed by a signal."""
    if not value:
        return None
    code, _, sig = value.partition(":")
    try:
        return 128 + int(sig) if sig and int(sig) else int(code)
    except ValueError:
        return None


def wait_status_to_exit_code(raw: str) -> int | None:
    """squeue's raw wait status (e.g. 768) -> the exit code, 128+signal when signalled."""
    try:
        status = int(raw)
    except ValueError:
        return None
    sig = status & 0x7F
    return 128 + sig if sig else (status >> 8) & 0xFF


def parse_tres(tres: str) -> tuple[int, int]:
    """(cpus, gpus) from an AllocTRES string such as "cpu=4,gres/gpu=2,mem=2G,node=1"."""
    # "gres/gpu=" is the total; typed entries ("gres/gpu:a100=2") would count twice.
    cpu = _TRES_CPU.search(tres)
    gpu = _TRES_GPU.search(tres)
    return (int(cpu.group(1)) if cpu else 0), (int(gpu.group(1)) if gpu else 0)


_TRES_CPU = re.compile(r"(?:^|,)cpu=(\d+)")
_TRES_GPU = re.compile(r"(?:^|,)gres/gpu=(\d+)")
SACCT_DELIMITER = "\x1f"  # ASCII unit separator: never in job names or comments
SACCT_FIELDS = (
    "JobIDRaw,Account,User,Partition,State,Submit,Start,End,ElapsedRaw,AllocTRES,JobName,ExitCode,"
    "Comment"
)


def parse_sacct(text: str, delimiter: str = SACCT_DELIMITER) -> list[AccountingRecord]:
    """Parse ``sacct -X -P -n --delimiter=D -o SACCT_FIELDS`` output into records."""
    records: list[AccountingRecord] = []
    append = records.append
    for line in text.splitlines():
        if not line:
            continue
        f = line.split(delimiter, 12)
        if len(f) < 13:
            continue
        cpus, gpus = parse_tres(f[9]) if f[9] else (0, 0)
        append(
            AccountingRecord(
                backend_id=f[0],
                account=f[1] or None,
                user=f[2] or None,
                partition=f[3] or None,
                state=map_slurm_state(f[4]),
                submitted_at=parse_slurm_time(f[5]),
                started_at=parse_slurm_time(f[6]),
                ended_at=parse_slurm_time(f[7]),
                elapsed_s=int(f[8]) if f[8].isdigit() else 0,
                alloc_gpus=gpus,
                alloc_cpus=cpus,
                comment=f[12] or None,
                name=f[10],
                exit_code=parse_exit_code(f[11]),
            )
        )
    return records
