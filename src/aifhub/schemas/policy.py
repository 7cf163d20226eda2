"""The vocabulary of ODRL-style usage policies and the check of a policy document's shape.

A policy is JSON (see aifhub.catalog.policy, which evaluates it); this module only says
whether a document is well formed, so a client validates a policy without the server.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aifhub.schemas.enums.identity import OrgKind

ACTIONS = ("use", "export", "train", "derive")
LEFT_OPERANDS = ("orgKind", "country", "sector", "purpose", "dateTime", "destination")
OPERATORS = ("eq", "neq", "isAnyOf", "isNoneOf", "isPartOf", "lt", "lteq", "gt", "gteq")

# Country groups usable with isPartOf (EU Member States; EEA adds IS, LI, NO).
EU = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()
)
GROUPS: dict[str, frozenset[str]] = {"EU": EU, "EEA": EU | {"IS", "LI", "NO"}}
DESTINATIONS = ("factory", "export")


class PolicyError(ValueError):
    """A policy document that cannot be evaluated; the message names the faulty part."""


def validate_policy(policy: dict[str, Any]) -> dict[str, Any]:
    """Check a policy document's shape; return it unchanged or raise PolicyError."""
    if not isinstance(policy, dict):
        raise PolicyError("a policy is a JSON object with permission/prohibition/obligation")
    unknown = set(policy) - {"permission", "prohibition", "obligation", "@context", "uid"}
    if unknown:
        raise PolicyError(f"unknown policy keys: {', '.join(sorted(unknown))}")
    if not policy.get("permission"):
        raise PolicyError("a restricted policy needs at least one permission (else nothing is)")
    for kind in ("permission", "prohibition", "obligation"):
        rules = policy.get(kind, [])
        if not isinstance(rules, list):
            raise PolicyError(f"'{kind}' must be a list of rules")
        for i, rule in enumerate(rules):
            where = f"{kind}[{i}]"
            if not isinstance(rule, dict) or rule.get("action") not in ACTIONS:
                raise PolicyError(f"{where}: action must be one of {', '.join(ACTIONS)}")
            for j, c in enumerate(rule.get("constraint", [])):
                _check_constraint(c, f"{where}.constraint[{j}]")
    return policy


def _check_constraint(c: Any, where: str) -> None:
    if not isinstance(c, dict):
        raise PolicyError(f"{where}: a constraint is an object")
    if c.get("leftOperand") not in LEFT_OPERANDS:
        raise PolicyError(f"{where}: leftOperand must be one of {', '.join(LEFT_OPERANDS)}")
    if c.get("operator") not in OPERATORS:
        raise PolicyError(f"{where}: operator must be one of {', '.join(OPERATORS)}")
    if "rightOperand" not in c:
        raise PolicyError(f"{where}: rightOperand is missing")
    left, right = c["leftOperand"], c["rightOperand"]
    if left == "dateTime":
        try:
            datetime.fromisoformat(str(right))
        except ValueError as exc:
            raise PolicyError(f"{where}: rightOperand must be an ISO 8601 date-time") from exc
    if left == "orgKind":
        values = right if isinstance(right, list) else [right]
        bad = [v for v in values if v not in {k.value for k in OrgKind}]
        if bad:
            raise PolicyError(f"{where}: unknown organisation kind {bad[0]!r}")
    if c["operator"] == "isPartOf" and right not in GROUPS:
        raise PolicyError(f"{where}: isPartOf takes one of {', '.join(GROUPS)}")
