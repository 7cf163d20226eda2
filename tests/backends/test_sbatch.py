"""Pure Slurm helpers: render_sbatch against hostile input, the state map, sacct parsing."""

from __future__ import annotations

import shlex
import subprocess
from datetime import UTC, datetime

import pytest

from aifhub.backends.base import JobSpec, JobState, StagedInput, decode_log_chunk
from aifhub.backends.slurm.sbatch import (
    BODY_MARKER,
    map_slurm_state,
    parse_exit_code,
    parse_sacct,
    parse_tres,
    render_sbatch,
    wait_status_to_exit_code,
)


def spec(**kw: object) -> JobSpec:
    fields: dict[str, object] = {
        "name": "train", "script": "echo hi", "partition": "gpu", "account": "proj1",
        "user": None, "time_limit_s": 3600,
    }  # fmt: skip
    return JobSpec(**{**fields, **kw})  # type: ignore[arg-type]


def directives(script: str) -> list[str]:
    """The #SBATCH lines sbatch would honour: those before the first command line."""
    found = []
    for line in script.splitlines()[1:]:
        if line.startswith("#SBATCH"):
            found.append(line)
        elif line.strip() and not line.startswith("#"):
            break
    return found


def test_render_basic() -> None:
    s = render_sbatch(
        spec(gpus=2, cpus_per_task=8, mem_mb=16000, qos="normal", constraint="a100&ib",
             comment="aifhub:123", workdir="/scratch/p1", time_limit_s=61),
        log_dir="/shared/logs/",
    )  # fmt: skip
    assert s.startswith("#!/bin/bash\n")
    assert directives(s) == [
        "#SBATCH --job-name=train",
        "#SBATCH --partition=gpu",
        "#SBATCH --account=proj1",
        "#SBATCH --qos=normal",
        "#SBATCH --constraint=a100&ib",
        "#SBATCH --comment=aifhub:123",
        "#SBATCH --time=2",
        "#SBATCH --nodes=1",
        "#SBATCH --ntasks=1",
        "#SBATCH --cpus-per-task=8",
        "#SBATCH --gres=gpu:2",
        "#SBATCH --mem=16000M",
        "#SBATCH --chdir=/scratch/p1",
        "#SBATCH --output=/shared/logs/aifhub-%j.out",
        "#SBATCH --error=/shared/logs/aifhub-%j.err",
    ]
    assert s.endswith(f"{BODY_MARKER}\n:\necho hi\n")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "x\n#SBATCH --account=other"),
        ("name", "x --account=other"),
        ("name", "$(rm -rf ~)"),
        ("name", "`id`"),
        ("name", ""),
        ("account", "proj1\n#SBATCH --qos=high"),
        ("account", "a;b"),
        ("partition", "gpu --exclusive"),
        ("qos", "normal'"),
        ("constraint", "a100 --account=x"),
        ("constraint", 'a"b'),
        ("comment", "aifhub:1\n#SBATCH --account=x"),
        ("workdir", "/tmp/x y"),
        ("workdir", "relative/dir"),
        ("workdir", "/tmp/$(id)"),
    ],
)
def test_render_refuses_injection(field: str, value: str) -> None:
    with pytest.raises(ValueError, match=f"invalid {field.replace('_', ' ')}|invalid job name"):
        render_sbatch(spec(**{field: value}))


@pytest.mark.parametrize(
    "kw", [{"gpus": -1}, {"nodes": 0}, {"cpus_per_task": "4"}, {"mem_mb": 0}, {"time_limit_s": 0}]
)
def test_render_refuses_bad_numbers(kw: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        render_sbatch(spec(**kw))


def test_body_sbatch_lines_are_inert() -> None:
    body = "#SBATCH --account=other\n#SBATCH --gres=gpu:8\necho $SLURM_JOB_ACCOUNT"
    s = render_sbatch(spec(script=body))
    assert not any("other" in d or "gpu:8" in d for d in directives(s))
    assert "--account=proj1" in "\n".join(directives(s))


def test_env_values_are_quoted_and_run_as_data(tmp_path) -> None:  # type: ignore[no-untyped-def]
    nasty = {
        "A": 'it\'s "quoted"',
        "B": "line1\n#SBATCH --account=other\nline3",
        "C": "$(touch PWNED) `touch PWNED2` ; touch PWNED3",
        "D": "",
    }
    s = render_sbatch(
        spec(env=nasty, script='printf "%s|" "$A" "$B" "$C" "$D" "$AIFHUB_INPUT_DATA"',
             inputs=[StagedInput("data", "/shared/d 1", "/in/d")])
    )  # fmt: skip
    assert not any("other" in d for d in directives(s))
    # Run the rendered script with bash: every value arrives verbatim, nothing executes.
    out = subprocess.run(["bash", "-c", s], cwd=tmp_path, capture_output=True, text=True)
    assert out.stdout == "|".join([*nasty.values(), "/shared/d 1"]) + "|"
    assert list(tmp_path.iterdir()) == []


def test_env_name_must_be_an_identifier() -> None:
    with pytest.raises(ValueError, match="environment variable name"):
        render_sbatch(spec(env={"A=B; id": "x"}))
    assert "export K=" + shlex.quote("v v") in render_sbatch(spec(env={"K": "v v"}))


@pytest.mark.parametrize(
    ("slurm", "state"),
    [
        ("PENDING", JobState.PENDING),
        ("CONFIGURING", JobState.PENDING),
        ("REQUEUED", JobState.PENDING),
        ("RUNNING", JobState.RUNNING),
        ("COMPLETING", JobState.RUNNING),
        ("SUSPENDED", JobState.RUNNING),
        ("COMPLETED", JobState.COMPLETED),
        ("FAILED", JobState.FAILED),
        ("CANCELLED by 0", JobState.CANCELLED),
        ("CANCELLED+", JobState.CANCELLED),
        ("TIMEOUT", JobState.TIMEOUT),
        ("DEADLINE", JobState.TIMEOUT),
        ("NODE_FAIL", JobState.NODE_FAIL),
        ("BOOT_FAIL", JobState.NODE_FAIL),
        ("OUT_OF_MEMORY", JobState.OUT_OF_MEMORY),
        ("PREEMPTED", JobState.CANCELLED),
        ("SOMETHING_NEW", JobState.UNKNOWN),
    ],
)
def test_state_map(slurm: str, state: JobState) -> None:
    assert map_slurm_state(slurm) is state


def test_terminal_states() -> None:
    assert {s for s in JobState if s.is_terminal} == {
        JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED, JobState.TIMEOUT,
        JobState.NODE_FAIL, JobState.OUT_OF_MEMORY,
    }  # fmt: skip
    assert JobState.PENDING.value == "pending"


def test_exit_codes() -> None:
    assert parse_exit_code("3:0") == 3 and parse_exit_code("0:9") == 137
    assert parse_exit_code("") is None
    assert wait_status_to_exit_code("768") == 3 and wait_status_to_exit_code("9") == 137
    assert wait_status_to_exit_code("0") == 0


def test_parse_tres() -> None:
    assert parse_tres("billing=4,cpu=4,gres/gpu=2,gres/gpu:a100=2,mem=2G,node=1") == (4, 2)
    assert parse_tres("cpu=1,mem=512M,node=1") == (1, 0)


def test_parse_sacct() -> None:
    d = "\x1f"
    text = (
        d.join(["12", "proj1", "alice", "gpu", "COMPLETED", "2026-01-02T03:04:05",
                "2026-01-02T03:04:06", "2026-01-02T04:04:06", "3600",
                "billing=8,cpu=8,gres/gpu=2,mem=4G,node=1", "train|v2", "0:0", "aifhub:77"]) + "\n"
        + d.join(["13", "proj1", "bob", "cpu", "CANCELLED by 1001", "2026-01-02T03:04:05",
                  "None", "2026-01-02T03:05:00", "0", "", "x", "0:15", ""]) + "\n"
        + "garbage line\n"
    )  # fmt: skip
    a, b = parse_sacct(text)
    assert a.backend_id == "12" and a.account == "proj1" and a.user == "alice"
    assert a.state is JobState.COMPLETED and a.elapsed_s == 3600
    assert a.alloc_gpus == 2 and a.alloc_cpus == 8 and a.name == "train|v2"
    assert a.comment == "aifhub:77" and a.exit_code == 0 and b.exit_code == 143
    assert a.started_at == datetime(2026, 1, 2, 3, 4, 6, tzinfo=UTC)
    assert b.state is JobState.CANCELLED and b.started_at is None and b.comment is None
    assert (b.alloc_cpus, b.alloc_gpus) == (0, 0)


def test_decode_log_chunk_keeps_split_characters() -> None:
    data = "aé€😀".encode()
    for cut in range(len(data) + 1):
        text, off = decode_log_chunk(data[:cut], 0)
        rest, end = decode_log_chunk(data[off:], off)
        assert text + rest == "aé€😀" and end == len(data)
