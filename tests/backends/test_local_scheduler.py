"""The local queue policy: FIFO with EASY backfill, never over the node's resources."""

from __future__ import annotations

from aifhub.backends.local.scheduler import Demand, RunningJob, pick_jobs_to_start


def test_fifo_fills_the_node() -> None:
    q = [("1", Demand(2, 0, 0), 60), ("2", Demand(2, 0, 0), 60), ("3", Demand(1, 0, 0), 60)]
    assert [j for j, _ in pick_jobs_to_start(4, 0, 1000, [], q, 0)] == ["1", "2"]


def test_gpu_indices_are_distinct() -> None:
    running = [RunningJob(Demand(1, 1, 0), (1,), 100)]
    q = [("a", Demand(1, 2, 0), 60), ("b", Demand(1, 1, 0), 60)]
    assert pick_jobs_to_start(8, 4, 1000, running, q, 0) == [("a", [0, 2]), ("b", [3])]


def test_backfill_only_when_head_is_not_delayed() -> None:
    # Node: 4 CPUs; a running job holds 3 until t=100. Head wants 4: reserved at t=100.
    running = [RunningJob(Demand(3, 0, 0), (), 100)]
    q = [
        ("head", Demand(4, 0, 0), 50),
        ("long", Demand(1, 0, 0), 500),  # would still hold a CPU at t=100: must wait
        ("short", Demand(1, 0, 0), 50),  # ends by t=50 < 100: may backfill
    ]
    assert [j for j, _ in pick_jobs_to_start(4, 0, 1000, running, q, 0)] == ["short"]


def test_backfill_into_spare_resources() -> None:
    # Head needs 2 of 4 CPUs at t=100; a long 1-CPU job fits in what is spare then.
    running = [RunningJob(Demand(3, 0, 0), (), 100)]
    q = [("head", Demand(2, 0, 0), 50), ("long", Demand(1, 0, 0), 500)]
    assert [j for j, _ in pick_jobs_to_start(4, 0, 1000, running, q, 0)] == ["long"]


def test_memory_is_respected() -> None:
    q = [("1", Demand(1, 0, 600), 60), ("2", Demand(1, 0, 600), 60)]
    assert [j for j, _ in pick_jobs_to_start(8, 0, 1000, [], q, 0)] == ["1"]
