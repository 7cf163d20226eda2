"""What the resources domain plugs in: nothing of its own yet (no pages, API or tasks).

Its clusters and partitions are read by access and compute; the site file is synced into its
tables by compute's start-up step and delivery task. It is listed all the same, so that a
router or task it gains later has one place to go.
"""

from __future__ import annotations

from aifhub.core.modules import DomainModule

module = DomainModule(name="resources")
