"""A real `aifhub serve` process for end-to-end tests (CLI, browser, request-level attacks)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx


def free_port() -> int:
    """A TCP port nobody listens on right now, on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServerProcess:
    url: str
    port: int
    proc: subprocess.Popen[bytes]
    log: IO[str]

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not exit within 20 s."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def start_server(
    env: Mapping[str, str],
    log_path: Path,
    *,
    args: Sequence[str] = ("--no-worker",),
    cwd: Path | None = None,
    timeout_s: float = 60,
) -> ServerProcess:
    """Start `aifhub serve ARGS` on a free port and wait until /healthz answers 200."""
    port = free_port()
    log = log_path.open("a")
    proc = subprocess.Popen(
        [sys.executable, "-m", "aifhub", "serve", "--port", str(port), *args],
        env=dict(env),
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=cwd,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return ServerProcess(url, port, proc, log)
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.close()
            raise RuntimeError(log_path.read_text()[-3000:])
        time.sleep(0.2)
