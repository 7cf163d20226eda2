"""ODRL-style usage policies stored as data, and the one function that evaluates them.

A policy is JSON:

    {"permission":  [{"action": "use", "constraint": [C, ...], "duty": [{"action": "attribute"}]}],
     "prohibition": [{"action": "export", "constraint": [C, ...]}],
     "obligation":  [{"action": "delete", "constraint": [...]}]}

and a constraint C is {"leftOperand": L, "operator": O, "rightOperand": R}, with
L and O from the vocabulary in aifhub.schemas.policy (which also checks a document's
shape). As in ODRL, what is not permitted is prohibited:
an action is allowed when at least one permission covers it with all its constraints true
and no prohibition covering it has all its constraints true. The action "use" covers every
action (ODRL's top action); "export" means the data leaves the factory's compute (a download).
Obligations and the duties of the permission that applied are returned with the decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aifhub.schemas.policy import GROUPS


@dataclass(frozen=True)
class PolicyContext:
    """Who wants what: the requesting organisation, its purpose, when, and where data goes."""

    org_kind: str
    country: str
    sectors: tuple[str, ...] = ()
    purpose: str = ""
    at: datetime | None = None
    destination: str = "factory"  # factory (staged into a job) / export (downloaded)
    action: str = "use"


@dataclass
class Decision:
    """The outcome: allowed or not, the reasons in words, and the duties that come with it."""

    allowed: bool
    reasons: list[str] = field(default_factory=list)
    duties: list[dict[str, Any]] = field(default_factory=list)


def _covers(rule_action: str, action: str) -> bool:
    return rule_action == "use" or rule_action == action


def _values(ctx: PolicyContext, left: str) -> list[Any]:
    if left == "orgKind":
        return [ctx.org_kind]
    if left == "country":
        return [ctx.country]
    if left == "sector":
        return list(ctx.sectors)
    if left == "purpose":
        return [ctx.purpose]
    if left == "destination":
        return [ctx.destination]
    if left == "dateTime":
        return [ctx.at] if ctx.at else []
    return []


def _compare(value: Any, op: str, right: Any) -> bool:
    if isinstance(value, datetime):
        right = datetime.fromisoformat(str(right))
        if right.tzinfo is None:
            right = right.replace(tzinfo=value.tzinfo)
    rights = right if isinstance(right, list) else [right]
    if op == "eq":
        return bool(value == right)
    if op == "neq":
        return bool(value != right)
    if op == "isAnyOf":
        return value in rights
    if op == "isNoneOf":
        return value not in rights
    if op == "isPartOf":
        return value in GROUPS.get(str(right), frozenset())
    if op == "lt":
        return bool(value < right)
    if op == "lteq":
        return bool(value <= right)
    if op == "gt":
        return bool(value > right)
    if op == "gteq":
        return bool(value >= right)
    return False


def _holds(c: dict[str, Any], ctx: PolicyContext) -> bool:
    values = _values(ctx, c["leftOperand"])
    if c["operator"] == "isNoneOf":
        return all(_compare(v, "isNoneOf", c["rightOperand"]) for v in values)
    # A multi-valued operand (sectors) satisfies the constraint when any value does.
    return any(_compare(v, c["operator"], c["rightOperand"]) for v in values)


def _describe(c: dict[str, Any]) -> str:
    right = c["rightOperand"]
    shown = ", ".join(map(str, right)) if isinstance(right, list) else str(right)
    return f"{c['leftOperand']} {c['operator']} {shown}"


def evaluate(policy: dict[str, Any], ctx: PolicyContext) -> Decision:
    """Decide whether the context may perform ctx.action under the policy, and why."""
    action = "export" if ctx.destination == "export" and ctx.action == "use" else ctx.action
    reasons: list[str] = []
    permitted: dict[str, Any] | None = None
    for rule in policy.get("permission", []):
        if not _covers(rule["action"], action):
            continue
        failed = [c for c in rule.get("constraint", []) if not _holds(c, ctx)]
        if not failed:
            permitted = rule
            break
        reasons.append(
            f"permission to {rule['action']} needs " + "; ".join(_describe(c) for c in failed)
        )
    if permitted is None:
        if not reasons:
            reasons.append(f"no permission covers the action '{action}'")
        return Decision(False, reasons)
    for rule in policy.get("prohibition", []):
        if _covers(rule["action"], action) and all(
            _holds(c, ctx) for c in rule.get("constraint", [])
        ):
            why = "; ".join(_describe(c) for c in rule.get("constraint", [])) or "always"
            return Decision(False, [f"'{rule['action']}' is prohibited ({why})"])
    duties = list(permitted.get("duty", []))
    duties += [
        o
        for o in policy.get("obligation", [])
        if all(_holds(c, ctx) for c in o.get("constraint", []))
    ]
    return Decision(True, [f"permitted: {permitted['action']}"], duties)
