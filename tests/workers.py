"""Running the suite on several pytest-xdist workers (`-n auto`, `--dist loadgroup`).

Each worker is a process of its own with its own databases (a SQLite file and a PostgreSQL
database). What must exist once per run lives in a folder every worker of the run shares: the
private PostgreSQL server is started there by the first worker that needs it, under a file
lock, and stopped by the process that started the workers. Tests that share a service that
cannot run twice at once are sent to one worker as one group (`xdist_group`):

- `slurm`: the real Slurm cluster (one cluster per machine; its tests submit to the same queue);
- `oidc`: the test OpenID provider, whose redirect URIs name one aifhub port per database;
- `browser`: the session Chromium and `live_server`; Playwright's sync API leaves an event loop
  behind that breaks later asyncio tests in the same process, so this group comes last;
- a module's tests on one database, when the module opens a module-scoped fixture (a server
  process): one server per module and database kind, as in a run without workers.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

SHARED_DIR_KEY = "aifhub_shared_dir"
# Importing readline (pdb does) exports COLUMNS=80 and LINES=24 into the C environment of the
# controller, unseen by its os.environ; workers would inherit them, and a console created at
# import (rich) would then cut its tables at 80 columns in workers only.
TERMINAL_VARIABLES = ("COLUMNS", "LINES")
_shared_dir = pytest.StashKey[Path]()


def is_worker(config: pytest.Config) -> bool:
    """True in an xdist worker process (the controller and a plain run are not)."""
    return hasattr(config, "workerinput")


def shared_dir(config: pytest.Config) -> Path:
    """The folder shared by every process of this run (created by the controller)."""
    if is_worker(config):
        return Path(config.workerinput[SHARED_DIR_KEY])  # type: ignore[attr-defined]
    if _shared_dir not in config.stash:
        config.stash[_shared_dir] = Path(tempfile.mkdtemp(prefix="aifhub-tests-"))
    return config.stash[_shared_dir]


def worker_input(config: pytest.Config) -> dict[str, object]:
    """What the controller tells each worker: the folder the run's processes share."""
    return {SHARED_DIR_KEY: str(shared_dir(config))}


def forget_leaked_terminal_size() -> None:
    """In the controller, before the workers start: drop from the environment they inherit
    the terminal variables its os.environ does not have (those readline exported)."""
    for name in TERMINAL_VARIABLES:
        if name not in os.environ:
            os.unsetenv(name)


def remove_shared_dir(config: pytest.Config) -> Path | None:
    """Forget the shared folder (controller or plain run only); returns it when it existed."""
    if is_worker(config) or _shared_dir not in config.stash:
        return None
    path = config.stash[_shared_dir]
    del config.stash[_shared_dir]
    return path


def discard(path: Path) -> None:
    """Remove a folder and what it holds, if it is still there."""
    shutil.rmtree(path, ignore_errors=True)


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on a file (across processes) for the duration of the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _has_module_fixture(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    return any(
        defs[-1].scope == "module" for defs in info.name2fixturedefs.values() if defs
    )  # the last definition is the one the test gets


def worker_group(item: pytest.Item) -> str | None:
    """The xdist group of a test, or None when any worker may run it alone."""
    names = set(getattr(item, "fixturenames", ()))
    if names & {"browser", "live_server"}:
        return "browser"
    if "slurm_cluster" in names:
        return "slurm"
    if "openid_provider" in names:
        return "oidc"
    if _has_module_fixture(item):
        params = getattr(getattr(item, "callspec", None), "params", {})
        module = item.nodeid.split("::", 1)[0]
        return f"{module}-{params.get('database_url', 'any')}"
    return None


def mark_worker_group(item: pytest.Item) -> None:
    """Mark a test with its xdist group, if it has one (called as each test is collected,
    before xdist reads the marks)."""
    group = worker_group(item)
    if group is not None:
        item.add_marker(pytest.mark.xdist_group(group))


def order_groups(items: list[pytest.Item]) -> None:
    """Longest first, browser last: the real Slurm tests (one worker starts them while the
    others run the rest), then the other slow tests (server processes), then the quick ones,
    then the browser tests; each part keeps its order. Workers get their tests in this order
    (--no-loadscope-reorder), so no worker is left with a long test while the others idle."""

    def rank(item: pytest.Item) -> int:
        mark = item.get_closest_marker("xdist_group")
        group = mark.args[0] if mark and mark.args else None
        if group in ("slurm", "browser"):
            return 0 if group == "slurm" else 3
        return 1 if item.get_closest_marker("slow") else 2

    items.sort(key=rank)
