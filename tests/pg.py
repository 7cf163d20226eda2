"""A private PostgreSQL server for the tests, started from the installed binaries."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from .workers import file_lock

CANDIDATE_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def _find(binary: str) -> str | None:
    for d in CANDIDATE_BIN_DIRS:
        if (d / binary).exists():
            return str(d / binary)
    return shutil.which(binary)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivatePostgres:
    """initdb + pg_ctl in a temporary folder; as root, the server runs as 'postgres'."""

    def __init__(self) -> None:
        initdb, pg_ctl = _find("initdb"), _find("pg_ctl")
        if not initdb or not pg_ctl:
            raise RuntimeError(
                "PostgreSQL binaries not found: install the 'postgresql' package "
                "(scripts/setup.sh does) or set AIFHUB_TEST_POSTGRES_URL"
            )
        self.initdb, self.pg_ctl = initdb, pg_ctl
        self.base = Path(tempfile.mkdtemp(prefix="aifhub-pg-"))
        self.data = self.base / "data"
        self.port = _free_port()
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as:
            shutil.chown(self.base, "postgres")
        self.base.chmod(0o755)

    def start(self) -> str:
        run = lambda *a: subprocess.run([*self._as, *a], check=True, capture_output=True)  # noqa: E731
        run(self.initdb, "-A", "trust", "-U", "postgres", "-E", "UTF8", "-D", str(self.data))
        opts = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off"
        opts += " -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        run(
            self.pg_ctl,
            "-D",
            str(self.data),
            "-o",
            opts,
            "-l",
            str(self.base / "log"),
            "-w",
            "start",
        )
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        """Stop the server at once and remove its files."""
        _stop(self.state())

    def state(self) -> dict[str, object]:
        """What another process needs to stop this server."""
        data, base = str(self.data), str(self.base)
        return {"pg_ctl": self.pg_ctl, "data": data, "base": base, "as": self._as}


def _stop(state: dict[str, object]) -> None:
    run_as = list(state["as"])  # type: ignore[call-overload]
    pg_ctl, data = str(state["pg_ctl"]), str(state["data"])
    subprocess.run([*run_as, pg_ctl, "-D", data, "-m", "immediate", "stop"], capture_output=True)
    shutil.rmtree(str(state["base"]), ignore_errors=True)


def shared_server(folder: Path) -> str:
    """The URL of the private server of this run: the first process asking starts it, under a
    lock, and records it in `folder`; every other worker of the run reuses it."""
    record = folder / "postgres.json"
    with file_lock(folder / "postgres.lock"):
        if record.exists():
            return str(json.loads(record.read_text())["url"])
        server = PrivatePostgres()
        try:
            url = server.start()
        except BaseException:
            server.stop()
            raise
        record.write_text(json.dumps({"url": url, **server.state()}))
        return url


def stop_shared_server(folder: Path) -> None:
    """Stop the server `shared_server` started in `folder`, if one was."""
    record = folder / "postgres.json"
    if record.exists():
        _stop(json.loads(record.read_text()))
        record.unlink()
