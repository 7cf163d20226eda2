"""The drift comparisons, pure: the site file's partitions and Slurm's settings against
Slurm's view (parsed from the CI cluster's captured answers)."""

from __future__ import annotations

from aifhub.backends.slurm.inspect import SlurmView, parse_config, parse_nodes, parse_partitions
from aifhub.compute.cluster_drift import DeclaredPartition, check_settings, compare_partitions

from ..backends.test_slurm_inspect import CONFIG, NODES, PARTITIONS

HOUR = 3600


def _view(partitions: str = PARTITIONS, nodes: str = NODES) -> SlurmView:
    return SlurmView(parse_partitions(partitions), parse_nodes(nodes), parse_config(CONFIG))


def _gpu(**changes: int) -> DeclaredPartition:
    values = {"max_time_s": 2 * HOUR, "gpus_per_node": 2, "mem_mb_per_node": 16384,
              "cores_per_node": 16, **changes}  # fmt: skip
    return DeclaredPartition("gpu", **values)


def test_a_matching_partition_only_warns_of_an_unlimited_max_time() -> None:
    [finding] = compare_partitions([_gpu()], _view())
    assert finding.severity == "warning" and finding.partition == "gpu"
    assert "up to 02:00:00 while Slurm's MaxTime is UNLIMITED" in finding.message


def test_more_gpus_memory_or_cores_than_the_nodes_have_are_errors() -> None:
    findings = compare_partitions(
        [_gpu(gpus_per_node=4, mem_mb_per_node=32768, cores_per_node=32)], _view()
    )
    errors = [f.message for f in findings if f.severity == "error"]
    assert len(errors) == 3
    assert (
        "Partition gpu: the site file declares gpus_per_node = 4 but its nodes have at most 2 "
        "GPUs: jobs asking for a full node never start. Lower gpus_per_node in the site file."
    ) in errors
    assert any("mem_mb_per_node = 32768" in e and "at most 16384 MB" in e for e in errors)
    assert any("cores_per_node = 32" in e and "at most 16 cores" in e for e in errors)


def test_fewer_than_the_nodes_have_are_warnings() -> None:
    findings = compare_partitions([_gpu(gpus_per_node=1, cores_per_node=8)], _view())
    assert {f.severity for f in findings} == {"warning"}
    assert any("gpus_per_node = 1 but its nodes have 2 GPUs" in f.message for f in findings)


def test_a_max_time_above_slurms_is_an_error_below_a_warning() -> None:
    two_hours = PARTITIONS.replace("MaxTime=UNLIMITED", "MaxTime=02:00:00")
    [longer] = compare_partitions([_gpu(max_time_s=3 * HOUR)], _view(two_hours))
    assert longer.severity == "error"
    assert "up to 03:00:00 but Slurm's MaxTime is 02:00:00: longer jobs are refused" in (
        longer.message
    )
    [shorter] = compare_partitions([_gpu(max_time_s=HOUR)], _view(two_hours))
    assert shorter.severity == "warning"
    assert compare_partitions([_gpu()], _view(two_hours)) == []


def test_a_missing_or_down_partition_and_unusable_nodes() -> None:
    missing = DeclaredPartition("a100", HOUR, 8, 1024, 1)
    [finding] = compare_partitions([missing], _view())
    assert finding.severity == "error"
    assert "Partition a100 is declared in the site file but Slurm has no such partition" in (
        finding.message
    )
    down = PARTITIONS.replace("State=UP", "State=DOWN")
    drained = NODES.replace("State=IDLE", "State=IDLE+DRAIN")
    errors = [f.message for f in compare_partitions([_gpu()], _view(down, drained))
              if f.severity == "error"]  # fmt: skip
    assert len(errors) == 2
    assert "Partition gpu is DOWN in Slurm" in errors[0]
    assert "Partition gpu has no usable node (localhost IDLE+DRAIN)" in errors[1]


def test_the_ci_clusters_settings_are_what_the_push_needs() -> None:
    assert check_settings(parse_config(CONFIG)) == []


def test_settings_that_let_projects_run_past_their_allocation() -> None:
    bad = (
        CONFIG.replace("associations,limits,qos,safe", "associations")
        .replace("priority/multifactor", "priority/basic")
        .replace("PriorityDecayHalfLife   = 00:00:00", "PriorityDecayHalfLife   = 7-00:00:00")
        .replace("PriorityUsageResetPeriod = NONE", "PriorityUsageResetPeriod = MONTHLY")
    )
    findings = check_settings(parse_config(bad))
    assert [f.severity for f in findings] == ["error"] * 4
    text = [f.message for f in findings]
    assert text[0].startswith("AccountingStorageEnforce is 'associations' and lacks limits, safe")
    assert "PriorityType is priority/basic, not priority/multifactor" in text[1]
    assert "PriorityDecayHalfLife is 7-00:00:00" in text[2] and "grow generous" in text[2]
    assert "PriorityUsageResetPeriod is MONTHLY" in text[3] and "grow generous" in text[3]
    [unread] = check_settings(None, "scontrol did not answer within 5 s")
    assert unread.severity == "warning" and "could not be read" in unread.message
