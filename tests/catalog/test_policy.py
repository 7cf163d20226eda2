"""The ODRL-style policy evaluator: one function, rules as data."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aifhub.catalog.policy import PolicyContext, evaluate
from aifhub.schemas.policy import PolicyError, validate_policy

EU_STARTUPS = {
    "permission": [
        {
            "action": "use",
            "constraint": [
                {"leftOperand": "country", "operator": "isPartOf", "rightOperand": "EU"},
                {
                    "leftOperand": "orgKind",
                    "operator": "isAnyOf",
                    "rightOperand": ["startup", "sme"],
                },
                {
                    "leftOperand": "dateTime",
                    "operator": "lt",
                    "rightOperand": "2030-01-01T00:00:00+00:00",
                },
            ],
            "duty": [{"action": "attribute"}],
        }
    ],
    "prohibition": [
        {"action": "export"},
        {
            "action": "use",
            "constraint": [
                {"leftOperand": "sector", "operator": "eq", "rightOperand": "defence_security"}
            ],
        },
    ],
    "obligation": [
        {
            "action": "delete",
            "constraint": [
                {"leftOperand": "purpose", "operator": "eq", "rightOperand": "benchmark"}
            ],
        }
    ],
}
NOW = datetime(2027, 1, 1, tzinfo=UTC)


def ctx(**kw):
    base = {"org_kind": "startup", "country": "FR", "sectors": ("health",), "at": NOW}
    return PolicyContext(**{**base, **kw})


def test_permitted_with_duties():
    d = evaluate(EU_STARTUPS, ctx())
    assert d.allowed and d.duties == [{"action": "attribute"}]


def test_each_constraint_can_deny_and_says_why():
    d = evaluate(EU_STARTUPS, ctx(country="US"))
    assert not d.allowed and "country isPartOf EU" in d.reasons[0]
    d = evaluate(EU_STARTUPS, ctx(org_kind="large_company"))
    assert not d.allowed and "orgKind isAnyOf startup, sme" in d.reasons[0]
    d = evaluate(EU_STARTUPS, ctx(at=datetime(2031, 1, 1, tzinfo=UTC)))
    assert not d.allowed and "dateTime lt" in d.reasons[0]
    d = evaluate(EU_STARTUPS, ctx(at=None))
    assert not d.allowed  # no time given: a time-bound permission cannot hold


def test_prohibitions_win_and_export_is_a_use():
    d = evaluate(EU_STARTUPS, ctx(destination="export"))
    assert not d.allowed and "'export' is prohibited" in d.reasons[0]
    d = evaluate(EU_STARTUPS, ctx(sectors=("health", "defence_security")))
    assert not d.allowed and "sector eq defence_security" in d.reasons[0]


def test_obligations_apply_when_their_constraints_hold():
    assert evaluate(EU_STARTUPS, ctx(purpose="benchmark")).duties[-1] == {
        "action": "delete",
        "constraint": [{"leftOperand": "purpose", "operator": "eq", "rightOperand": "benchmark"}],
    }


def test_what_is_not_permitted_is_prohibited():
    only_train = {"permission": [{"action": "train"}]}
    assert evaluate(only_train, ctx(action="train")).allowed
    d = evaluate(only_train, ctx())
    assert not d.allowed and "no permission covers" in d.reasons[0]


@pytest.mark.parametrize(
    "policy, needle",
    [
        ({}, "at least one permission"),
        ({"permission": [{"action": "teleport"}]}, "action must be one of"),
        (
            {
                "permission": [
                    {
                        "action": "use",
                        "constraint": [
                            {"leftOperand": "mood", "operator": "eq", "rightOperand": 1}
                        ],
                    }
                ]
            },
            "leftOperand",
        ),
        (
            {
                "permission": [
                    {
                        "action": "use",
                        "constraint": [
                            {"leftOperand": "country", "operator": "like", "rightOperand": 1}
                        ],
                    }
                ]
            },
            "operator",
        ),
        (
            {
                "permission": [
                    {
                        "action": "use",
                        "constraint": [
                            {"leftOperand": "dateTime", "operator": "lt", "rightOperand": "soon"}
                        ],
                    }
                ]
            },
            "ISO 8601",
        ),
        (
            {
                "permission": [
                    {
                        "action": "use",
                        "constraint": [
                            {"leftOperand": "orgKind", "operator": "eq", "rightOperand": "pirate"}
                        ],
                    }
                ]
            },
            "organisation kind",
        ),
        (
            {
                "permission": [
                    {
                        "action": "use",
                        "constraint": [
                            {
                                "leftOperand": "country",
                                "operator": "isPartOf",
                                "rightOperand": "MARS",
                            }
                        ],
                    }
                ]
            },
            "isPartOf",
        ),
        ({"permission": [{"action": "use"}], "duties": []}, "unknown policy keys"),
    ],
)
def test_invalid_policies_are_refused(policy, needle):
    with pytest.raises(PolicyError, match=needle):
        validate_policy(policy)
