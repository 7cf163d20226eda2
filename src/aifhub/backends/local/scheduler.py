"""The local backend's queue policy: FIFO with EASY backfill, pure and testable.

The first waiting job gets a reservation at the earliest time enough resources free up
(judged from running jobs' time limits). A later job may start now only if it fits now and
either ends before that time or uses only what the reservation leaves spare. So a big job is
never starved by a stream of small ones, and idle resources are still used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Demand:
    """Resources a job holds: CPUs, GPUs, memory in MB."""

    cpus: int
    gpus: int
    mem_mb: int

    def fits(self, cpus: int, gpus: int, mem_mb: int) -> bool:
        """True when this demand fits in the given free resources."""
        return self.cpus <= cpus and self.gpus <= gpus and self.mem_mb <= mem_mb


@dataclass(frozen=True)
class RunningJob:
    """A started job: what it holds, which GPUs, and when its time limit ends (epoch s)."""

    demand: Demand
    gpu_indices: tuple[int, ...]
    ends_at: float


def pick_jobs_to_start(
    cpus: int,
    gpus: int,
    mem_mb: int,
    running: Sequence[RunningJob],
    queue: Sequence[tuple[str, Demand, int]],
    now: float,
) -> list[tuple[str, list[int]]]:
    """Choose which queued jobs (id, demand, time limit s; FIFO order) start now, with GPUs."""
    free_cpu = cpus - sum(r.demand.cpus for r in running)
    free_gpu = gpus - sum(r.demand.gpus for r in running)
    free_mem = mem_mb - sum(r.demand.mem_mb for r in running)
    used_gpus = {i for r in running for i in r.gpu_indices}
    free_gpu_ids = [i for i in range(gpus) if i not in used_gpus]
    # Jobs started in this pass also end (at the latest) at now + their limit.
    ends = [(r.ends_at, r.demand) for r in running]
    shadow: float | None = None  # when the head job is guaranteed to start
    spare = Demand(0, 0, 0)  # what is left at shadow time once the head job has its share
    starts: list[tuple[str, list[int]]] = []
    for job_id, demand, limit_s in queue:
        fits_now = demand.fits(free_cpu, free_gpu, free_mem)
        if shadow is None:
            if fits_now:
                pass
            else:
                shadow, spare = _reservation(demand, free_cpu, free_gpu, free_mem, ends)
                continue
        else:
            if not fits_now:
                continue
            if now + limit_s > shadow:
                # It would still run at shadow time: allowed only inside the spare share.
                if not demand.fits(spare.cpus, spare.gpus, spare.mem_mb):
                    continue
                spare = Demand(
                    spare.cpus - demand.cpus, spare.gpus - demand.gpus, spare.mem_mb - demand.mem_mb
                )
        gpu_ids, free_gpu_ids = free_gpu_ids[: demand.gpus], free_gpu_ids[demand.gpus :]
        free_cpu -= demand.cpus
        free_gpu -= demand.gpus
        free_mem -= demand.mem_mb
        ends.append((now + limit_s, demand))
        starts.append((job_id, gpu_ids))
    return starts


def _reservation(
    head: Demand, free_cpu: int, free_gpu: int, free_mem: int, ends: list[tuple[float, Demand]]
) -> tuple[float, Demand]:
    """Earliest time the head job fits as running jobs end, and what is spare then."""
    cpu, gpu, mem = free_cpu, free_gpu, free_mem
    for end, d in sorted(ends, key=lambda e: e[0]):
        cpu, gpu, mem = cpu + d.cpus, gpu + d.gpus, mem + d.mem_mb
        if head.fits(cpu, gpu, mem):
            return end, Demand(cpu - head.cpus, gpu - head.gpus, mem - head.mem_mb)
    # Cannot happen for a validated job (it fits the empty node); reserve forever.
    return float("inf"), Demand(0, 0, 0)


def demand_of(spec: Mapping[str, Any]) -> Demand:
    """What a job recorded in job.json asks for (its spec as stored)."""
    return Demand(spec["ntasks"] * spec["cpus_per_task"], spec["gpus"], spec.get("mem_mb") or 0)
