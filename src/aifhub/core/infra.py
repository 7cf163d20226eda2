"""The platform's infrastructure, built once at start-up and handed to whoever needs it.

One `Infrastructure` holds the settings, the site file parsed once, every folder resolved to
an absolute path once, the object store and the pool of compute backends. The app keeps it
on `app.state.infra` (requests reach it through the `Infra` dependency), the worker hands it
to every task in its `TaskContext`, and a CLI command that needs it builds one. Nothing else
parses the site file, builds a store or builds a backend.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request

from aifhub.backends.base import ComputeBackend
from aifhub.backends.registry import make_backend
from aifhub.core.config import Settings, SiteConfig
from aifhub.storage import LocalObjectStore


@dataclass(frozen=True)
class Paths:
    """The folders the platform reads and writes, absolute: a relative path never reaches a
    subprocess, and a later change of working directory changes nothing."""

    var: Path  # the data folder: database (SQLite), secret key, store, job state
    site_dir: Path | None  # the site file's folder: the file's relative paths start here
    objects: Path  # the content-addressed object store
    job_inputs: Path  # catalogue inputs staged for jobs: <job_inputs>/<job id>/<asset>/

    @classmethod
    def of(cls, settings: Settings) -> Paths:
        """Resolve the settings' folders against the current directory, once."""
        var = settings.var_dir.expanduser().resolve()
        site = settings.site_file.expanduser().resolve().parent if settings.site_file else None
        return cls(var=var, site_dir=site, objects=var / "objects", job_inputs=var / "job-inputs")


class BackendPool:
    """One backend object per cluster, built on first use and kept until the pool is closed.

    A backend is keyed by its cluster's name, kind and settings, so a cluster whose settings
    change (the site file synced again) gets a fresh one. `replace` puts another object in a
    cluster's place in this pool only (a test swapping in a backend that fails on cue).
    """

    def __init__(self, state_root: Path) -> None:
        # Where a backend keeps its own state when its settings name a relative folder.
        self.state_root = state_root
        self._built: dict[tuple[str, str, str], ComputeBackend] = {}
        self._replaced: dict[str, ComputeBackend] = {}

    def get(self, cluster: str, kind: str, settings: Mapping[str, Any]) -> ComputeBackend:
        """The backend of this cluster for these settings (built once)."""
        replaced = self._replaced.get(cluster)
        if replaced is not None:
            return replaced
        key = (cluster, kind, json.dumps(settings, sort_keys=True, default=str))
        backend = self._built.get(key)
        if backend is None:
            backend = self._built[key] = make_backend(kind, settings)
        return backend

    def replace(self, cluster: str, backend: ComputeBackend | None) -> None:
        """Use this backend object for the cluster from now on; None goes back to the built one."""
        if backend is None:
            self._replaced.pop(cluster, None)
        else:
            self._replaced[cluster] = backend

    async def aclose(self) -> None:
        """Release every backend this pool built (replacements belong to whoever made them)."""
        built, self._built = list(self._built.values()), {}
        for backend in built:
            await backend.aclose()


@dataclass(frozen=True)
class Infrastructure:
    """Settings, parsed site file, resolved folders, object store and backends of a process."""

    settings: Settings
    site: SiteConfig
    paths: Paths
    store: LocalObjectStore
    backends: BackendPool

    async def aclose(self) -> None:
        """Release what the infrastructure holds (the backends' clients and loops)."""
        await self.backends.aclose()


def build_infrastructure(settings: Settings) -> Infrastructure:
    """Parse the site file and resolve the folders once; the backends are built on first use."""
    paths = Paths.of(settings)
    return Infrastructure(
        settings=settings,
        site=settings.load_site(),
        paths=paths,
        store=LocalObjectStore(paths.objects),
        backends=BackendPool(paths.var),
    )


def get_infra(request: Request) -> Infrastructure:
    """The app's infrastructure (built by create_app)."""
    infra: Infrastructure = request.app.state.infra
    return infra


Infra = Annotated[Infrastructure, Depends(get_infra)]
