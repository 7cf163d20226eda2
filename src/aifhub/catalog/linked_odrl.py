"""A stored usage policy (aifhub.catalog.policy) as an ODRL 2.2 policy in JSON-LD.

The stored policy uses ODRL's shape with bare names ("use", "isPartOf"). In RDF every name
becomes an IRI: ODRL's own terms where ODRL has them, the platform's vocabulary
(<base_url>/ns/policy#...) for the ones it adds (export, train; orgKind, country, sector,
destination), so that no rule is lost when a harvester parses the JSON-LD.
"""

from __future__ import annotations

from typing import Any

ODRL_ACTIONS = frozenset({"use", "derive", "attribute", "delete", "inform", "anonymize"})
ODRL_LEFT_OPERANDS = frozenset({"purpose", "dateTime"})
RULE_CLASSES = {
    "permission": "odrl:Permission",
    "prohibition": "odrl:Prohibition",
    "obligation": "odrl:Duty",
}


def _term(name: str, odrl_terms: frozenset[str], vocab: str) -> dict[str, str]:
    return {"@id": f"odrl:{name}" if name in odrl_terms else f"{vocab}{name}"}


def _right_operand(value: Any) -> Any:
    if isinstance(value, list):
        return [_right_operand(v) for v in value]
    return {"@value": str(value)}


def _constraint(c: dict[str, Any], vocab: str) -> dict[str, Any]:
    return {
        "@type": "odrl:Constraint",
        "odrl:leftOperand": _term(str(c["leftOperand"]), ODRL_LEFT_OPERANDS, vocab),
        # Every operator the policies accept is one of ODRL's.
        "odrl:operator": {"@id": f"odrl:{c['operator']}"},
        "odrl:rightOperand": _right_operand(c["rightOperand"]),
    }


def _rule(rule: dict[str, Any], kind: str, target: str, vocab: str) -> dict[str, Any]:
    node: dict[str, Any] = {
        "@type": RULE_CLASSES[kind],
        "odrl:target": {"@id": target},
        "odrl:action": _term(str(rule["action"]), ODRL_ACTIONS, vocab),
    }
    if rule.get("constraint"):
        node["odrl:constraint"] = [_constraint(c, vocab) for c in rule["constraint"]]
    if rule.get("duty"):
        node["odrl:duty"] = [
            {"@type": "odrl:Duty", "odrl:action": _term(str(d["action"]), ODRL_ACTIONS, vocab)}
            for d in rule["duty"]
        ]
    return node


def odrl_policy(
    rules: dict[str, Any], *, uid: str, assigner: str, target: str, base_url: str
) -> dict[str, Any]:
    """An odrl:Offer from the asset's publisher: its permissions, prohibitions, obligations."""
    vocab = f"{base_url.rstrip('/')}/ns/policy#"
    policy: dict[str, Any] = {
        "@id": uid,
        "@type": ["odrl:Policy", "odrl:Offer"],
        "odrl:uid": {"@id": uid},
        "odrl:assigner": {"@id": assigner},
    }
    for kind in RULE_CLASSES:
        if rules.get(kind):
            policy[f"odrl:{kind}"] = [_rule(r, kind, target, vocab) for r in rules[kind]]
    return policy
