"""The platform's own folder (database, secret key, store, jobs) is its owner's alone."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from aifhub.core.config import Settings


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_var_folder_and_generated_secret_key_are_private(tmp_path: Path) -> None:
    var = tmp_path / "var"
    key = Settings(var_dir=var, secret_key="").resolved_secret_key()
    assert len(key) >= 40
    assert _mode(var) == 0o700
    assert _mode(var / "secret_key") == 0o600
    # and it is kept: the next start reads the same key
    assert Settings(var_dir=var, secret_key="").resolved_secret_key() == key


def test_processes_starting_together_agree_on_one_whole_key(tmp_path: Path) -> None:
    var = tmp_path / "var"

    def start() -> str:
        return Settings(var_dir=var, secret_key="").resolved_secret_key()

    with ThreadPoolExecutor(max_workers=16) as pool:
        keys = set(pool.map(lambda _: start(), range(64)))
    assert len(keys) == 1 and len(keys.pop()) >= 40
    assert sorted(p.name for p in var.iterdir()) == ["secret_key"]  # no temp file left
