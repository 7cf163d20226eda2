"""A real, fresh Unix user of this host for the tests of the cluster-login rules."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator

import pytest


def missing_unix_name() -> str:
    """A valid login no user of this host has."""
    while True:
        name = f"nobody{uuid.uuid4().hex[:10]}"
        try:
            pwd.getpwnam(name)
        except KeyError:
            return name


@pytest.fixture
def make_unix_user() -> Iterator[Callable[[], str]]:
    """Creates ordinary (uid >= 1000) Unix users with useradd; removes them after the test.

    Needs root, as the CI runs the tests; elsewhere the test is skipped and says why.
    """
    useradd, userdel = shutil.which("useradd"), shutil.which("userdel")
    if os.geteuid() != 0 or useradd is None or userdel is None:
        pytest.skip("creating a Unix user takes root and useradd (the CI runs the tests as root)")
    made: list[str] = []

    def make() -> str:
        name = f"aif{uuid.uuid4().hex[:10]}"
        argv = [useradd, "--no-create-home", "--no-user-group", "--shell", "/usr/sbin/nologin"]
        for _ in range(20):  # another test's useradd may hold the lock of /etc/passwd a moment
            done = subprocess.run([*argv, name], capture_output=True, text=True, check=False)
            if done.returncode == 0 or "lock" not in done.stderr:
                break
            time.sleep(0.1)
        assert done.returncode == 0, done.stderr
        made.append(name)
        assert pwd.getpwnam(name).pw_uid >= 1000
        return name

    try:
        yield make
    finally:
        for name in made:
            subprocess.run([userdel, name], check=False, capture_output=True)


@pytest.fixture
def unix_user(make_unix_user: Callable[[], str]) -> str:
    """One fresh ordinary Unix user of this host."""
    return make_unix_user()
