"""The sacctmgr planner: minimal, grouped, idempotent diffs (pure, no cluster)."""

from __future__ import annotations

import pytest

from aifhub.backends.base import BackendError
from aifhub.backends.slurm.accounts import SlurmAccounts, explain, parse_clusters, parse_usage
from aifhub.backends.slurm.sacctmgr import (
    AccountLimit,
    CurrentAccount,
    parse_assoc,
    plan,
    show_assoc_command,
    to_load_file,
)

SHOW = """root|||||
root|root||||
p1||root|gres/gpu=6000||
p1|alice||||
p2||root|gres/gpu=6000||
p2|bob||||
p3||root|cpu=100,gres/gpu=5|0|0
other||root|||
"""


def test_parse_assoc() -> None:
    cur = parse_assoc(SHOW)
    assert cur["p1"] == CurrentAccount("root", {"alice"}, {"gres/gpu": 6000}, False)
    assert cur["p3"].blocked and cur["p3"].grp_tres_mins == {"cpu": 100, "gres/gpu": 5}
    assert cur["root"].users == {"root"}


def test_no_change_gives_no_command() -> None:
    desired = [
        AccountLimit("p1", users=["alice"], grp_tres_mins={"gres/gpu": 6000}),
        AccountLimit("p2", users=["bob"], grp_tres_mins={"gres/gpu": 6000}),
        AccountLimit("p3", grp_tres_mins={"cpu": 100, "gres/gpu": 5}, blocked=True),
    ]
    assert plan(desired, parse_assoc(SHOW)) == []


def test_plan_from_empty_groups_by_limits() -> None:
    desired = [
        AccountLimit(f"a{i}", users=[f"u{i}"], grp_tres_mins={"gres/gpu": 6000}) for i in range(3)
    ] + [AccountLimit("c1", parent="a0", users=["u0", "u1"], grp_tres_mins={"cpu": 10})]
    cmds = plan(desired, {}, cluster="ci")
    assert cmds[0] == ["add", "account", "a0,a1,a2", "cluster=ci", "parent=root",
                       "GrpTRESMins=gres/gpu=6000"]  # fmt: skip
    assert cmds[1] == ["add", "account", "c1", "cluster=ci", "parent=a0", "GrpTRESMins=cpu=10"]
    assert ["add", "user", "u0,u1", "account=c1", "cluster=ci"] in cmds
    assert ["add", "user", "u2", "account=a2", "cluster=ci"] in cmds
    assert len(cmds) == 6


def test_plan_changes_are_minimal_and_grouped() -> None:
    desired = [
        AccountLimit("p1", users=["alice", "carol"], grp_tres_mins={"gres/gpu": 9000}),
        AccountLimit("p2", users=[], grp_tres_mins={"gres/gpu": 9000}),
        AccountLimit("p3", grp_tres_mins={"gres/gpu": 5}),  # unblock, drop the cpu limit
        AccountLimit("other", blocked=True),
    ]
    cmds = plan(desired, parse_assoc(SHOW))
    assert ["modify", "account", "where", "name=p1,p2", "set", "GrpTRESMins=gres/gpu=9000"] in cmds
    assert ["modify", "account", "where", "name=p3", "set", "GrpTRESMins=cpu=-1,gres/gpu=5",
            "GrpSubmitJobs=-1", "GrpJobs=-1"] in cmds  # fmt: skip
    assert ["modify", "account", "where", "name=other", "set", "GrpSubmitJobs=0",
            "GrpJobs=0"] in cmds  # fmt: skip
    assert ["add", "user", "carol", "account=p1"] in cmds
    assert ["delete", "user", "where", "name=bob", "account=p2"] in cmds
    assert len(cmds) == 5


@pytest.mark.parametrize(
    "bad",
    [
        AccountLimit("a b"),
        AccountLimit("a", parent="x\ny"),
        AccountLimit("a", users=["Bad User"]),
        AccountLimit("a", grp_tres_mins={"gpu": 1}),
        AccountLimit("a", grp_tres_mins={"cpu": -5}),
    ],
)
def test_plan_validates(bad: AccountLimit) -> None:
    with pytest.raises(ValueError):
        plan([bad], {})


def test_duplicate_accounts_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        plan([AccountLimit("a"), AccountLimit("a")], {})


def test_load_file_and_show_command() -> None:
    cmds = [["add", "user", "u1,u2", "account=a1,a2", "cluster=ci"]]
    assert to_load_file(cmds, "ci", known_users={"u2"}) == (
        "Cluster - 'ci'\n"
        "Parent - 'a1'\nUser - 'u1':DefaultAccount='a1'\nUser - 'u2'\n"
        "Parent - 'a2'\nUser - 'u1'\nUser - 'u2'\n"
    )
    assert to_load_file([["modify", "account"]], "ci") is None
    assert show_assoc_command("ci")[-2:] == [
        "cluster=ci",
        f"format={show_assoc_command(None)[-1][7:]}",
    ]


def test_plan_adds_the_missing_cluster_and_parent_first() -> None:
    desired = [AccountLimit("p1", parent="aifhub", grp_tres_mins={"cpu": 5})]
    cmds = plan(desired, {}, cluster="c9", cluster_exists=False)
    assert cmds[:3] == [
        ["add", "cluster", "c9"],
        ["add", "account", "aifhub", "cluster=c9", "parent=root"],
        ["add", "account", "p1", "cluster=c9", "parent=aifhub", "GrpTRESMins=cpu=5"],
    ]
    # once both exist, neither is planned again
    current = parse_assoc("root|||||\naifhub||root|||\np1||aifhub|cpu=5||\n")
    assert plan(desired, current, cluster="c9") == []


def test_plan_refuses_limits_sacctmgr_would_store_as_none() -> None:
    with pytest.raises(ValueError, match="from 0 to"):
        plan([AccountLimit("a", grp_tres_mins={"cpu": 2**63})], {})


def test_parse_usage_and_clusters() -> None:
    sshare = (
        "root||cpu=2,mem=1092,energy=0,gres/gpu=0\n"
        " root|root|cpu=2,mem=1092,gres/gpu=0\n"
        " p1||cpu=0,mem=0,gres/gpu=125\n"
        "  p1|alice|cpu=0,gres/gpu=125\n"
        "CLUSTER: ci\n"
    )
    usage = parse_usage(sshare)
    assert usage["p1"]["gres/gpu"] == 125 and usage["root"]["cpu"] == 2
    assert set(usage) == {"root", "p1"}
    assert parse_clusters("ci|127.0.0.1\nnew|\n") == {"ci": "127.0.0.1", "new": ""}


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("cannot run /x/sacctmgr: [Errno 2] No such file or directory", "not installed"),
        ("cannot run /x/sacctmgr: [Errno 13] Permission denied", "cannot be started"),
        (" Problem adding accounts: Access/permission denied", "needs a Slurm administrator"),
        ("sacctmgr: error: slurm_persist_conn_open_without_init: failed to open persistent "
         "connection to host:localhost:6999: Connection refused", "slurmdbd cannot be reached"),
        ("Couldn't get shares from controller: Unable to contact slurm controller",
         "slurmctld cannot be reached"),
        ("This account 'x' doesn't exist.", "sacctmgr failed: This account"),
    ],
)  # fmt: skip
def test_explain_gives_a_sentence(said: str, expected: str) -> None:
    assert expected in explain("sacctmgr", BackendError(said))


def test_a_refused_cluster_entry_says_what_to_run_instead() -> None:
    accounts = SlurmAccounts("c9")
    said = " Problem adding clusters: Access/permission denied"
    text = accounts._failed(["add", "cluster", "c9"], BackendError(said), 0, 3)
    assert "sacctmgr may not add the cluster 'c9'" in text
    assert "run `sacctmgr -i add cluster c9`" in text and "Nothing was changed" in text
    other = accounts._failed(["modify", "account"], BackendError("boom"), 2, 5)
    assert other.startswith("Command 3 of 5 failed: `sacctmgr -i modify account`: sacctmgr failed")
    assert "The 2 command(s) before it were applied; re-running the push is safe" in other
