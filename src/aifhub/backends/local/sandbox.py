"""Building the command line of a local job, sandboxed with bubblewrap.

A job is untrusted code. The sandbox gives it: read-only system folders (and only the few
files of /etc a shell needs), its own writable work folder, its inputs and the site's
allow-listed paths bound at their mount paths, a private /tmp, its own user, PID, IPC and UTS
namespaces, no capabilities, no network unless the spec allows it, and an environment set
inside the sandbox only (``--clearenv``/``--setenv``), never on the host-side bwrap process.

When the platform runs as root, bwrap itself runs as the site's unprivileged job uid/gid
(see :func:`drop_to_job_user`): every bind source is first opened as root and bound onto a
private tmpfs in a new mount namespace, so the job uid needs no access to the platform's
(root-only) folders on the host to see its own files.
"""

from __future__ import annotations

import ctypes
import glob
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aifhub.backends.base import SubmissionRejected

# Folders a shell and common tools need; bound read-only. /bin, /lib... are symlinks into
# /usr on a merged-/usr system (Debian 12), so they are recreated as symlinks, not bound.
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt")
# Not the whole /etc: it may hold private keys (/etc/ssl/private), the site file, shadow
# files, credentials of services. Only what the loader, a shell, name resolution and TLS
# clients read.
ETC_ENTRIES = (
    "/etc/alternatives",
    "/etc/bash.bashrc",
    "/etc/ca-certificates",
    "/etc/ca-certificates.conf",
    "/etc/environment",
    "/etc/gai.conf",
    "/etc/group",
    "/etc/host.conf",
    "/etc/hostname",
    "/etc/hosts",
    "/etc/inputrc",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/locale.alias",
    "/etc/localtime",
    "/etc/mime.types",
    "/etc/nsswitch.conf",
    "/etc/os-release",
    "/etc/passwd",
    "/etc/profile",
    "/etc/protocols",
    "/etc/resolv.conf",
    "/etc/services",
    "/etc/ssl/certs",
    "/etc/ssl/openssl.cnf",
    "/etc/timezone",
)
GPU_DEVICE_GLOBS = ("/dev/nvidia*", "/dev/dri")
SCRIPT_MOUNT = "/aifhub/job.sh"
NOBODY = 65534


def find_bwrap() -> str | None:
    """Return the path of the bubblewrap binary, or None when it is not installed."""
    return shutil.which("bwrap")


def bwrap_command(
    bwrap: str,
    *,
    script_fd: int,
    work_source: str,
    work_mount: str,
    chdir: str,
    binds: Sequence[tuple[str, str, bool]],
    env: Mapping[str, str],
    allow_network: bool,
    uid: int,
    gid: int,
) -> list[str]:
    """Return the bwrap argv that runs the script (read from ``script_fd``) in the sandbox.

    ``binds`` are (source, mount path, writable) triples: inputs, allow-listed site paths and
    extra read-only folders. Sources are host paths, or the staged copies of
    :func:`drop_to_job_user` when running as root.
    """
    cmd = [bwrap, "--die-with-parent", "--unshare-user", "--unshare-pid"]
    cmd += ["--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    cmd += ["--uid", str(uid), "--gid", str(gid), "--cap-drop", "ALL"]
    if not allow_network:
        cmd.append("--unshare-net")
    for d in SYSTEM_DIRS:
        p = Path(d)
        if p.is_symlink():
            cmd += ["--symlink", os.readlink(d), d]
        elif p.is_dir():
            cmd += ["--ro-bind", d, d]
    for entry in ETC_ENTRIES:
        cmd += ["--ro-bind-try", entry, entry]
    cmd += ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    # GPU device nodes are not in the minimal /dev; CUDA_VISIBLE_DEVICES picks among them.
    for pattern in GPU_DEVICE_GLOBS:
        for dev in sorted(glob.glob(pattern)):
            cmd += ["--dev-bind-try", dev, dev]
    cmd += ["--bind", work_source, work_mount]
    for source, mount, writable in binds:
        cmd += ["--bind" if writable else "--ro-bind", source, mount]
    cmd += ["--ro-bind-data", str(script_fd), SCRIPT_MOUNT, "--chdir", chdir]
    # The sandbox root is a tmpfs; make it read-only so only the binds and /tmp take writes.
    cmd += ["--remount-ro", "/", "--clearenv"]
    for key, value in env.items():
        cmd += ["--setenv", key, value]
    cmd += ["--", "/bin/bash", SCRIPT_MOUNT]
    return cmd


def plain_command(script_fd: int) -> list[str]:
    """Return the argv that runs the script (an inherited fd) without a sandbox."""
    return ["/bin/bash", f"/dev/fd/{script_fd}"]


# --------------------------------------------------------------------- running as root

_CLONE_NEWNS = 0x00020000
_MS_NOSUID, _MS_NODEV, _MS_BIND, _MS_REC, _MS_PRIVATE = 2, 4, 4096, 16384, 1 << 18
STAGE_DIR = "/tmp"  # covered by a private tmpfs in the bwrap process's own mount namespace


def staged_path(index: int) -> str:
    """Where the ``index``-th bind source appears to bwrap after :func:`drop_to_job_user`."""
    return f"{STAGE_DIR}/aifhub-bind-{index}"


def drop_to_job_user(sources: Sequence[str], uid: int, gid: int) -> Callable[[], None]:
    """A ``preexec_fn`` (root only): stage ``sources`` on a private tmpfs, then become uid/gid.

    The child gets its own mount namespace (the host's mounts are untouched), opens each source
    as root, covers STAGE_DIR with a tmpfs, binds each source at :func:`staged_path` through
    its file descriptor, and drops to the job user with no supplementary groups, so bwrap then
    runs unprivileged and sees nothing of the platform's folders but what was staged.
    """
    if uid == 0 or gid == 0:
        raise ValueError("the job uid/gid must not be 0")
    encoded = [os.fsencode(s) for s in sources]

    def prepare() -> None:
        try:
            _stage_and_drop(encoded, uid, gid)
        except OSError as exc:
            # Python reports only "Exception occurred in preexec_fn": say why on the job's
            # stderr (already the job's file here), e.g. no CAP_SYS_ADMIN in a container.
            os.write(2, f"aifhub sandbox: cannot start the job as uid {uid}: {exc}\n".encode())
            raise

    return prepare


def _stage_and_drop(encoded: Sequence[bytes], uid: int, gid: int) -> None:
    """The body of :func:`drop_to_job_user`'s preexec function (in the forked child)."""
    libc = ctypes.CDLL(None, use_errno=True)

    def check(result: int, what: str) -> None:
        if result != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"{what}: {os.strerror(err)}")

    check(libc.unshare(_CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    check(libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None), "make / private")
    # Opened before the tmpfs hides them (a source may live under STAGE_DIR).
    fds = [os.open(s, os.O_PATH | os.O_CLOEXEC) for s in encoded]
    check(
        libc.mount(b"tmpfs", STAGE_DIR.encode(), b"tmpfs", _MS_NOSUID | _MS_NODEV,
                   b"mode=0755,size=1m"),
        "mount the staging tmpfs",
    )  # fmt: skip
    for index, fd in enumerate(fds):
        target = staged_path(index)
        if os.path.isdir(f"/proc/self/fd/{fd}"):
            os.mkdir(target)
        else:
            os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))
        source = f"/proc/self/fd/{fd}".encode()
        check(libc.mount(source, target.encode(), None, _MS_BIND | _MS_REC, None), target)
        os.close(fd)
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)


@dataclass(frozen=True)
class BindPath:
    """A host folder the site lets jobs use (as workdir), bound at the same path."""

    path: str
    writable: bool

    @classmethod
    def from_setting(cls, value: Mapping[str, Any] | str) -> BindPath:
        """From `{path = "/scratch", mode = "rw"}` (mode "ro" by default) or a bare path."""
        raw = {"path": value} if isinstance(value, str) else dict(value)
        path, mode = str(raw.get("path", "")), str(raw.get("mode", "ro"))
        if not os.path.isabs(path) or mode not in ("ro", "rw"):
            raise ValueError(f"bind_paths: {value!r} needs an absolute path and mode ro or rw")
        return cls(os.path.normpath(path), mode == "rw")


def allowed_workdir(workdir: str, bind_paths: Sequence[BindPath]) -> bool:
    """True when ``workdir`` is one of the allow-listed folders or inside one."""
    if not os.path.isabs(workdir):
        return False
    normal = os.path.normpath(workdir)
    return any(normal == b.path or normal.startswith(b.path.rstrip("/") + "/") for b in bind_paths)


def check_workdir(workdir: str, bind_paths: Sequence[BindPath]) -> None:
    """Refuse a workdir outside the site's allow-list, naming the allowed folders."""
    if not allowed_workdir(workdir, bind_paths):
        allowed = ", ".join(b.path for b in bind_paths) or "none (leave workdir empty)"
        raise SubmissionRejected(
            f"workdir {workdir} is not allowed on this cluster; allowed folders: {allowed}"
        )
