"""Reading and changing one cluster's accounting through sacctmgr and sshare.

One call per kind of state: ``sacctmgr show cluster`` (does slurmdbd know the cluster, has a
controller registered), ``sacctmgr show assoc`` (accounts, users, limits) and ``sshare``
(GrpTRESRaw: what Slurm has counted per account, in TRES-minutes). Planning is the pure
``aifhub.backends.slurm.sacctmgr.plan``. Every failure is raised as :class:`AccountingError`
with a sentence an operator can act on (which command, what Slurm said, what to do).
"""

from __future__ import annotations

import asyncio
import os
import shlex
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aifhub.backends.base import BackendError
from aifhub.backends.slurm.commands import run_slurm_command, slurm_env
from aifhub.backends.slurm.sacctmgr import (
    AccountLimit,
    CurrentAccount,
    parse_assoc,
    parse_tres_limits,
    plan,
    show_assoc_command,
    to_load_file,
)


class AccountingError(BackendError):
    """A sacctmgr/sshare call failed; the message says what happened and what to do."""


@dataclass
class ClusterState:
    """What Slurm has for one cluster: whether it exists, its accounts, their usage."""

    exists: bool = False
    accounts: dict[str, CurrentAccount] = field(default_factory=dict)
    usage: dict[str, dict[str, int]] = field(default_factory=dict)


def parse_clusters(text: str) -> dict[str, str]:
    """``sacctmgr -n -P show cluster format=Cluster,ControlHost`` -> {cluster: control host}."""
    out = {}
    for line in text.splitlines():
        name, _, host = line.partition("|")
        if name.strip():
            out[name.strip()] = host.strip()
    return out


def parse_usage(text: str) -> dict[str, dict[str, int]]:
    """``sshare -P -n -o Account,User,GrpTRESRaw`` -> {account: {tres: minutes}}.

    sshare indents accounts by depth and lists user rows too; only account rows count.
    """
    usage: dict[str, dict[str, int]] = {}
    for line in text.splitlines():
        f = line.split("|")
        if len(f) < 3 or f[1].strip():
            continue
        usage[f[0].strip()] = parse_tres_limits(f[2].strip())
    return usage


def explain(tool: str, exc: BackendError) -> str:
    """A sentence for a failed Slurm tool: what is wrong and what to do about it."""
    said = str(exc).strip()
    low = said.lower()
    if low.startswith("cannot run") and "no such file" in low:
        return (
            f"{tool} is not installed where the push looks for it ({said}). Install the Slurm "
            "client tools on this host, or set bin_dir in the cluster's settings."
        )
    if low.startswith("cannot run"):
        return f"{tool} cannot be started ({said}); check its file permissions."
    if "access/permission denied" in low or "privilege" in low:
        return (
            f"slurmdbd refused: {said}. The push needs a Slurm administrator (root, the "
            "SlurmUser, or a user with AdminLevel=Administrator in sacctmgr)."
        )
    if "did not answer within" in low:
        return f"{tool} did not answer: {said}. Check that slurmdbd and slurmctld respond."
    if "unable to contact slurm controller" in low or "couldn't get shares" in low:
        return (
            f"slurmctld cannot be reached: {said}. Start it (or fix SLURM_CONF / slurm_conf in "
            "the cluster's settings) and push again."
        )
    if "persist" in low or "slurmdbd" in low or "database" in low or "connection refused" in low:
        return (
            f"slurmdbd cannot be reached: {said}. Start slurmdbd (or fix SLURM_CONF / "
            "slurm_conf in the cluster's settings) and push again."
        )
    return f"{tool} failed: {said}"


class SlurmAccounts:
    """Reads and applies the account/user/limit state of one cluster through sacctmgr."""

    def __init__(
        self,
        cluster: str,
        slurm_conf: str | None = None,
        timeout_s: float = 600.0,
        bin_dir: str | None = None,
    ) -> None:
        self.cluster = cluster
        self.env = slurm_env(slurm_conf)
        self.timeout_s = timeout_s
        self.bin_dir = bin_dir

    async def _run(self, cmd: Sequence[str]) -> str:
        argv = [str(Path(self.bin_dir) / cmd[0]) if self.bin_dir else cmd[0], *cmd[1:]]
        return await run_slurm_command(argv, self.env, None, self.timeout_s)

    async def _read(self, what: str, cmd: Sequence[str]) -> str:
        try:
            return await self._run(cmd)
        except BackendError as exc:
            raise AccountingError(
                f"Could not read {what} of cluster '{self.cluster}': {explain(cmd[0], exc)} "
                "Nothing was changed."
            ) from exc

    async def current(self) -> dict[str, CurrentAccount]:
        """Read every association of the cluster in one sacctmgr call."""
        return parse_assoc(await self._read("the accounts", show_assoc_command(self.cluster)))

    async def read(self, with_usage: bool = True) -> ClusterState:
        """The cluster entry, its associations and (when asked) its usage.

        The three reads run at once (each is a round trip to slurmdbd or slurmctld); a failed
        usage read only matters when there is usage to read.
        """
        cluster_cmd = ["sacctmgr", "-n", "-P", "show", "cluster", "format=Cluster,ControlHost"]
        # sshare asks the controller of SLURM_CONF (the cluster's slurm_conf); without -a it
        # lists every account and only the caller's own user rows.
        usage_cmd = ["sshare", "-P", "-n", "-o", "Account,User,GrpTRESRaw"]
        reads = [
            self._read("the cluster list", cluster_cmd),
            self._read("the accounts", show_assoc_command(self.cluster)),
        ]
        if with_usage:
            reads.append(self._read("the usage (sshare)", usage_cmd))
        done = await asyncio.gather(*reads, return_exceptions=True)
        for result in done[:2]:
            if isinstance(result, BaseException):
                raise result
        clusters = parse_clusters(str(done[0]))
        if self.cluster not in clusters:
            return ClusterState(exists=False)
        state = ClusterState(exists=True, accounts=parse_assoc(str(done[1])))
        # No controller ever registered: nothing was ever counted (and there is none to ask).
        if with_usage and clusters[self.cluster]:
            if isinstance(done[2], BaseException):
                raise done[2]
            state.usage = parse_usage(str(done[2]))
        return state

    async def plan(self, desired: Sequence[AccountLimit]) -> list[list[str]]:
        """The commands that would bring the cluster to ``desired`` (dry run)."""
        state = await self.read(with_usage=False)
        return plan(desired, state.accounts, self.cluster, cluster_exists=state.exists)

    async def apply(self, desired: Sequence[AccountLimit]) -> list[list[str]]:
        """Bring the cluster to ``desired``; return the commands that were run."""
        state = await self.read(with_usage=False)
        commands = plan(desired, state.accounts, self.cluster, cluster_exists=state.exists)
        return await self.run(commands, state)

    async def run(self, commands: list[list[str]], state: ClusterState) -> list[list[str]]:
        """Run planned commands (user additions in bulk through one load file)."""
        user_adds = [c for c in commands if c[:2] == ["add", "user"]]
        others = [c for c in commands if c[:2] != ["add", "user"]]
        batches: list[tuple[list[str], str | None]] = [(c, None) for c in others]
        if len(user_adds) > 3:
            known = {u for acc in state.accounts.values() for u in acc.users}
            content = to_load_file(user_adds, self.cluster, known)
            assert content is not None
            batches.append((["load", "file=<the user additions>"], content))
        else:
            batches += [(c, None) for c in user_adds]
        for done, (cmd, content) in enumerate(batches):
            try:
                if content is None:
                    await self._run(["sacctmgr", "-i", *cmd])
                else:
                    await self._load(content)
            except BackendError as exc:
                raise AccountingError(self._failed(cmd, exc, done, len(batches))) from exc
        return commands

    def _failed(self, cmd: list[str], exc: BackendError, done: int, total: int) -> str:
        shown = shlex.join(["sacctmgr", "-i", *cmd])
        if cmd[:2] == ["add", "cluster"] and "permission denied" in str(exc).lower():
            return (
                f"sacctmgr may not add the cluster '{self.cluster}' ({str(exc).strip()}): ask "
                f"a Slurm administrator to run `sacctmgr -i add cluster {self.cluster}` (and "
                "restart slurmctld so it registers), or run the push as a Slurm administrator. "
                "Nothing was changed."
            )
        return (
            f"Command {done + 1} of {total} failed: `{shown}`: {explain('sacctmgr', exc)} "
            f"The {done} command(s) before it were applied; re-running the push is safe (it "
            "plans again from what Slurm has)."
        )

    async def _load(self, content: str) -> None:
        fd, path = tempfile.mkstemp(prefix="aifhub-sacctmgr-", suffix=".cfg")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(content)
            await self._run(["sacctmgr", "-i", "load", f"file={path}"])
        finally:
            os.unlink(path)
