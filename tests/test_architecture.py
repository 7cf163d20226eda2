"""The architecture holds: import-linter's contracts, the domains' public faces, the generated page.

docs/architecture.md states the rules; these tests fail as soon as the code breaks one.
"""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
DOMAINS = {
    "identity",
    "resources",
    "access",
    "compute",
    "catalog",
    "support",
    "ecosystem",
    "recommend",
}
# Identity's User, Project and Organisation are the shared kernel every domain may use directly.
SHARED_KERNEL = {"aifhub.identity.models"}


def test_import_linter_contracts_are_kept() -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_domains_use_each_other_only_through_their_public_face() -> None:
    graph = grimp.build_graph("aifhub", include_external_packages=False)
    wrong: dict[str, list[str]] = defaultdict(list)
    for module in sorted(graph.modules):
        parts = module.split(".")
        if len(parts) < 2 or parts[1] not in DOMAINS:
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            target = imported.split(".")
            if len(target) < 3 or target[1] not in DOMAINS or target[1] == parts[1]:
                continue  # the package itself (its __init__: the public face), or the same domain
            if imported not in SHARED_KERNEL:
                wrong[imported].append(module)
    assert not wrong, "import these through the domain's package instead:\n" + "\n".join(
        f"{target} <- {', '.join(importers)}" for target, importers in sorted(wrong.items())
    )


def test_architecture_page_is_generated_from_the_code() -> None:
    script = ROOT / "scripts" / "architecture.py"
    done = subprocess.run(
        [sys.executable, str(script), "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
