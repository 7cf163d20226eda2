"""The sacctmgr planner: minimal, grouped, idempotent diffs (pure, no cluster)."""

from __future__ import annotations

import pytest

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
