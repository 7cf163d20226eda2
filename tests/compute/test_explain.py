"""The plain sentence for a job's end or wait, from realistic stderr tails, codes and states."""

from __future__ import annotations

import pytest

from aifhub.compute.explain import SENTENCES, STATE_LABELS, explain
from aifhub.core import i18n
from aifhub.schemas.enums.compute import JobStatus


def key(state: str, **kw: object) -> str | None:
    found = explain(state, **kw)  # type: ignore[arg-type]
    return None if found is None else found.key


SLURM_TIMEOUT = (
    "epoch 3/10\n"
    "slurmstepd: error: *** JOB 4242 ON gpu-node-12 CANCELLED AT 2026-12-03T10:11:12 "
    "DUE TO TIME LIMIT ***\n"
)
SLURM_OOM = (
    "slurmstepd: error: Detected 1 oom_kill event in StepId=4243.batch. Some of the step "
    "tasks have been OOM Killed.\n"
)
TORCH_OOM = (
    "Traceback (most recent call last):\n"
    '  File "/home/u/train.py", line 88, in <module>\n'
    "    loss = model(batch)\n"
    "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; "
    "79.15 GiB total capacity; 77.01 GiB already allocated)\n"
)
CRLF_LINES = "/aifhub/job.sh: line 2: $'\\r': command not found\n"
CRLF_SHEBANG = "bash: ./run.sh: /bin/bash^M: bad interpreter: No such file or directory\n"
NOT_FOUND = "/aifhub/job.sh: line 3: pyhton: command not found\n"
MISSING = "python3: can't open file '/home/u/trian.py': [Errno 2] No such file or directory\n"
NO_MODULE = (
    "Traceback (most recent call last):\n"
    '  File "/home/u/train.py", line 1, in <module>\n'
    "    import torch\n"
    "ModuleNotFoundError: No module named 'torch'\n"
)
KILLED = "/aifhub/job.sh: line 4:  1234 Killed                  python3 big.py\n"


@pytest.mark.parametrize(
    ("state", "kw", "expected", "evidence"),
    [
        ("timeout", {"exit_code": 0}, "time_limit", None),
        ("timeout", {"stderr_tail": SLURM_TIMEOUT}, "time_limit", "DUE TO TIME LIMIT"),
        ("failed", {"exit_code": 0, "stderr_tail": SLURM_TIMEOUT}, "time_limit", "JOB 4242"),
        ("out_of_memory", {"exit_code": 0}, "out_of_memory", None),
        ("out_of_memory", {"stderr_tail": SLURM_OOM}, "out_of_memory", "oom_kill"),
        ("out_of_memory", {"stderr_tail": NOT_FOUND}, "out_of_memory", None),
        ("failed", {"exit_code": 137, "stderr_tail": SLURM_OOM}, "out_of_memory", "oom_kill"),
        ("failed", {"exit_code": 1, "stderr_tail": TORCH_OOM}, "gpu_out_of_memory", "CUDA out"),
        ("failed", {"exit_code": 137}, "killed", None),
        ("failed", {"exit_code": 137, "stderr_tail": KILLED}, "killed", "Killed"),
        ("failed", {"exit_code": 127, "stderr_tail": CRLF_LINES}, "crlf", "$'\\r'"),
        ("failed", {"exit_code": 127, "stderr_tail": "x\r: command not found\n"}, "crlf", "x\r"),
        ("failed", {"exit_code": 126, "stderr_tail": CRLF_SHEBANG}, "crlf", "/bin/bash^M"),
        (
            "failed",
            {"exit_code": 126, "stderr_tail": "bash: ./a.py: /usr/bin/pyton3: bad interpreter: "
             "No such file or directory\n"},
            "bad_interpreter",
            "/usr/bin/pyton3",
        ),
        ("failed", {"exit_code": 127, "stderr_tail": NOT_FOUND}, "command_not_found", "pyhton"),
        ("failed", {"exit_code": 127}, "command_not_found", None),
        ("failed", {"exit_code": 2, "stderr_tail": MISSING}, "missing_file", "trian.py"),
        ("failed", {"exit_code": 1, "stderr_tail": NO_MODULE}, "module_not_found", "torch"),
        ("failed", {"exit_code": 126}, "permission_denied", None),
        ("failed", {"exit_code": 3, "stderr_tail": "warming up\nbad\n"}, "nonzero_exit", None),
        ("failed", {"exit_code": None, "delivered": False, "reason": "Invalid account"},
         "rejected", None),
        ("failed", {"exit_code": None, "reason": "lost: runner exited without recording a result"},
         "lost", None),
        ("cancelled", {"exit_code": 143, "stderr_tail": "Terminated\n"}, "cancelled", None),
        ("node_fail", {}, "node_fail", None),
    ],
)  # fmt: skip
def test_ended_jobs(state, kw, expected, evidence):
    found = explain(state, **kw)
    assert found is not None and found.key == expected
    assert found.text == SENTENCES[expected]
    if evidence is None:
        assert found.evidence is None
    else:
        assert found.evidence is not None and evidence in found.evidence


def test_the_last_matching_line_is_the_evidence():
    tail = "bash: foo: command not found\nstep 2\nbash: bar: command not found\n"
    found = explain("failed", exit_code=127, stderr_tail=tail)
    assert found is not None and found.evidence == "bash: bar: command not found"


def test_evidence_is_cut_to_a_line_of_300_characters():
    found = explain("failed", exit_code=127, stderr_tail="x" * 1000 + ": command not found")
    assert found is not None and found.evidence is not None and len(found.evidence) == 300


@pytest.mark.parametrize(
    ("state", "reason", "expected"),
    [
        ("queued", "waiting for delivery to the cluster", "waiting_delivery"),
        ("submitting", None, "waiting_delivery"),
        ("pending", "Priority", "waiting_priority"),
        ("pending", "Resources", "waiting_resources"),  # Slurm, and the local backend's queue
        ("pending", "Launching", "launching"),  # the local backend starting the process
        ("pending", "ReqNodeNotAvail,_UnavailableNodes:gpu[01-02]", "node_unavailable"),
        ("pending", "PartitionDown", "node_unavailable"),
        ("pending", "Dependency", "waiting_dependency"),
        ("pending", "DependencyNeverSatisfied", "dependency_never"),
        ("pending", "QOSMaxGRESPerUser", "waiting_limits"),
        ("pending", "AssocGrpGRESMinutes", "waiting_limits"),
        ("pending", "BeginTime", "begin_time"),
        ("pending", "JobHeldUser", "held"),
        ("pending", "SomethingNew", None),
        ("pending", None, None),
        ("running", None, None),
        ("completed", None, None),
    ],
)
def test_waiting_and_fine_jobs(state, reason, expected):
    assert key(state, reason=reason) == expected


def test_a_requested_cancel_is_said_while_the_job_still_runs():
    assert key("running", cancel_requested=True) == "cancel_requested"
    assert key("pending", reason="Priority", cancel_requested=True) == "cancel_requested"


def test_a_successful_job_is_not_explained_whatever_its_stderr_says():
    assert explain("completed", exit_code=0, stderr_tail=NOT_FOUND + MISSING) is None


def test_every_sentence_and_state_label_is_in_french():
    fr = i18n.translations("fr")
    for text in list(SENTENCES.values()) + list(STATE_LABELS.values()):
        assert fr.gettext(text) != text, text
    assert set(STATE_LABELS) == {s.value for s in JobStatus}
