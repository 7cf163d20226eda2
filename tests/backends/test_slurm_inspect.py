"""Slurm's view of a cluster, parsed from real answers of Slurm 22.05 (scontrol, slurmrestd
v0.0.38) captured on the CI cluster; variants a bigger site prints (typed gres, drained
nodes, finite limits) are derived from them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aifhub.backends.slurm.inspect import (
    parse_config,
    parse_gres_gpus,
    parse_nodes,
    parse_one_line,
    parse_partitions,
    parse_rest_nodes,
    parse_rest_partitions,
    parse_slurm_duration,
)

ANSWERS = Path(__file__).parent / "slurm_answers"
# `scontrol show partition -o`, `scontrol show node -o` (its OS value has spaces) and an excerpt
# of `scontrol show config` (the real answer has some 200 lines of the same form)
PARTITIONS = (ANSWERS / "scontrol_show_partition_o.txt").read_text()
NODES = (ANSWERS / "scontrol_show_node_o.txt").read_text()
CONFIG = (ANSWERS / "scontrol_show_config.txt").read_text()
# slurmrestd v0.0.38 GET /slurm/v0.0.38/partitions and /nodes (meta and some fields cut)
REST_PARTITIONS = (ANSWERS / "rest_partitions.json").read_text()
REST_NODES = (ANSWERS / "rest_nodes.json").read_text()


def test_partitions_of_scontrol() -> None:
    parts = parse_partitions(PARTITIONS)
    assert set(parts) == {"cpu", "gpu"}
    gpu = parts["gpu"]
    assert (gpu.state, gpu.max_time_s, gpu.total_cpus, gpu.total_nodes) == ("UP", None, 16, 1)


def test_partition_with_a_finite_max_time_and_down() -> None:
    line = PARTITIONS.splitlines()[1].replace("MaxTime=UNLIMITED", "MaxTime=2-12:00:00")
    gpu = parse_partitions(line.replace("State=UP", "State=DOWN"))["gpu"]
    assert (gpu.state, gpu.max_time_s) == ("DOWN", (2 * 24 + 12) * 3600)


def test_nodes_of_scontrol() -> None:
    [node] = parse_nodes(NODES)
    assert (node.name, node.cpus, node.real_memory_mb, node.gpus) == ("localhost", 16, 16384, 2)
    assert node.partitions == ("cpu", "gpu") and node.state == "IDLE" and node.usable
    # a value with spaces stays whole, the next key is still found
    kv = parse_one_line(NODES)
    assert kv["OS"] == "Linux 6.18.44-fc-v1147 #1 SMP PREEMPT_DYNAMIC @0"
    assert kv["RealMemory"] == "16384" and kv["CfgTRES"] == "cpu=16,mem=16G,billing=16,gres/gpu=2"


@pytest.mark.parametrize(
    ("state", "usable"),
    [("IDLE", True), ("MIXED", True), ("ALLOCATED", True), ("IDLE+DRAIN", False),
     ("DOWN*", False), ("DRAINED", False), ("IDLE*+NOT_RESPONDING", False)],
)  # fmt: skip
def test_node_states(state: str, usable: bool) -> None:
    [node] = parse_nodes(NODES.replace("State=IDLE", f"State={state}"))
    assert node.usable is usable


@pytest.mark.parametrize(
    ("gres", "gpus"),
    [("gpu:2", 2), ("gpu:a100:4(S:0-1)", 4), ("gpu:a100:2,gpu:v100:2", 4), ("(null)", 0),
     ("gpu:a100:4(S:0-1),shard:8", 4), ("", 0)],
)  # fmt: skip
def test_gres_gpus(gres: str, gpus: int) -> None:
    assert parse_gres_gpus(gres) == gpus


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("UNLIMITED", None), ("INFINITE", None), ("30", 1800), ("30:15", 1815),
     ("02:00:00", 7200), ("1-00:00:00", 86400), ("2-12", 216000), ("00:00:00", 0)],
)  # fmt: skip
def test_slurm_durations(text: str, seconds: int | None) -> None:
    assert parse_slurm_duration(text) == seconds


def test_config_settings() -> None:
    settings = parse_config(CONFIG)
    assert settings.accounting_storage_enforce == ("associations", "limits", "qos", "safe")
    assert settings.priority_type == "priority/multifactor"
    assert settings.priority_decay_half_life == "00:00:00"
    assert settings.priority_usage_reset_period == "NONE"
    bare = parse_config(CONFIG.replace("associations,limits,qos,safe", "none"))
    assert bare.accounting_storage_enforce == ()


def test_rest_answers_say_the_same_as_scontrol() -> None:
    parts = parse_rest_partitions(json.loads(REST_PARTITIONS))
    assert parts == parse_partitions(PARTITIONS)
    nodes = parse_rest_nodes(json.loads(REST_NODES))
    assert [(n.name, n.cpus, n.real_memory_mb, n.gpus, n.partitions) for n in nodes] == [
        (n.name, n.cpus, n.real_memory_mb, n.gpus, n.partitions) for n in parse_nodes(NODES)
    ]
    assert nodes[0].usable
    limited = json.loads(REST_PARTITIONS.replace('"max_time_limit": -1', '"max_time_limit": 120'))
    assert parse_rest_partitions(limited)["gpu"].max_time_s == 7200
    drained = json.loads(REST_NODES.replace('"state_flags": []', '"state_flags": ["DRAIN"]'))
    assert not parse_rest_nodes(drained)[0].usable
