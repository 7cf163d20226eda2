"""The access domain.

This package is the domain's public face: other domains import only what it exports here
(the shared kernel, identity's models, excepted). Inside the domain, modules import each other
by their own path.
"""

from __future__ import annotations

from aifhub.access.allocations import allocations_on_cluster
from aifhub.access.ledger import (
    Balance,
    Movement,
    allocation_rows_on_cluster,
    allocations_by_account,
    charged_job_keys,
    current_allocation,
    get_balance,
    hours,
    is_current,
    overrun_of,
    paying_allocations,
    pays_first,
    record_movements,
    release,
    reserve,
)
from aifhub.access.models import Allocation, LedgerKind
from aifhub.access.usage import project_usage, usage_csv
from aifhub.access.usage_chart import daily_moves, usage_chart

__all__ = [
    "Allocation",
    "Balance",
    "LedgerKind",
    "Movement",
    "daily_moves",
    "allocation_rows_on_cluster",
    "allocations_by_account",
    "allocations_on_cluster",
    "charged_job_keys",
    "current_allocation",
    "get_balance",
    "hours",
    "is_current",
    "overrun_of",
    "paying_allocations",
    "pays_first",
    "project_usage",
    "record_movements",
    "release",
    "reserve",
    "usage_csv",
    "usage_chart",
]
