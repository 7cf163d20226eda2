"""Building the command line of a local job, sandboxed with bubblewrap when it is installed.

The sandbox gives the job: read-only system folders, a private writable work dir, its
inputs bound read-only at their mount paths, a private /tmp, its own PID namespace, and no
network unless the spec allows it. Without ``bwrap`` the job runs as a plain subprocess.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

# Folders a shell and common tools need; bound read-only. /bin, /lib... are symlinks into
# /usr on a merged-/usr system (Debian 12), so they are recreated as symlinks, not bound.
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt")
GPU_DEVICE_GLOBS = ("/dev/nvidia*", "/dev/dri")
SCRIPT_MOUNT = "/aifhub/job.sh"
_ENV_NAME = re.compile(r"[^A-Za-z0-9_]")


def find_bwrap() -> str | None:
    """Return the path of the bubblewrap binary, or None when it is not installed."""
    return shutil.which("bwrap")


def input_env_name(name: str) -> str:
    """Name of the variable that tells the job where an input is (AIFHUB_INPUT_<NAME>)."""
    return "AIFHUB_INPUT_" + _ENV_NAME.sub("_", name).upper()


def bwrap_command(
    bwrap: str,
    script_path: str,
    workdir: str,
    inputs: Sequence[tuple[str, str]],
    allow_network: bool,
    extra_ro_binds: Sequence[str] = (),
) -> list[str]:
    """Return the bwrap argv that runs ``script_path`` with bash inside the sandbox."""
    cmd = [bwrap, "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts"]
    if not allow_network:
        cmd.append("--unshare-net")
    for d in SYSTEM_DIRS:
        p = Path(d)
        if p.is_symlink():
            cmd += ["--symlink", os.readlink(d), d]
        elif p.is_dir():
            cmd += ["--ro-bind", d, d]
    for d in extra_ro_binds:
        cmd += ["--ro-bind-try", d, d]
    cmd += ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    # GPU device nodes are not in the minimal /dev; CUDA_VISIBLE_DEVICES picks among them.
    for pattern in GPU_DEVICE_GLOBS:
        for dev in sorted(glob.glob(pattern)):
            cmd += ["--dev-bind-try", dev, dev]
    cmd += ["--bind", workdir, workdir]
    for source, mount in inputs:
        cmd += ["--ro-bind", source, mount]
    cmd += ["--ro-bind", script_path, SCRIPT_MOUNT, "--chdir", workdir]
    # The sandbox root is a tmpfs; make it read-only so only workdir and /tmp take writes.
    cmd += ["--remount-ro", "/"]
    cmd += ["--", "/bin/bash", SCRIPT_MOUNT]
    return cmd


def plain_command(script_path: str) -> list[str]:
    """Return the argv that runs the script without a sandbox."""
    return ["/bin/bash", script_path]
