#!/usr/bin/env bash
# Install what aifhub needs on this machine, idempotently.
#   scripts/setup.sh            the virtualenv with aifhub and its dependencies (.venv)
#   scripts/setup.sh --test     also the test extras and the system packages the tests use
#                               (Chromium, bubblewrap, PostgreSQL server binaries, Node.js),
#                               installed with apt-get when missing (needs root)
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_TEST=0
[ "${1:-}" = "--test" ] && WITH_TEST=1
say() { printf '[setup] %s\n' "$*"; }

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$PY" -m venv .venv
fi
extras=""
[ "$WITH_TEST" = 1 ] && extras="[test]"
stamp=".venv/.aifhub-installed$extras"
want=$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing aifhub$extras into .venv"
  .venv/bin/pip install -q --upgrade pip >/dev/null
  .venv/bin/pip install -q -e ".$extras"
  echo "$want" > "$stamp"
fi
# The French pages: compiled from the translated catalogue (a build product, never tracked),
# again only when a catalogue is newer than what was compiled from it.
for po in src/aifhub/locale/*/LC_MESSAGES/messages.po; do
  if [ ! "${po%.po}.mo" -nt "$po" ]; then
    say "compiling ${po%.po}.mo"
    .venv/bin/pybabel compile -d src/aifhub/locale -D messages >/dev/null
    break
  fi
done

if [ "$WITH_TEST" = 1 ]; then
  need=()
  command -v chromium >/dev/null || need+=(chromium)
  command -v bwrap >/dev/null || need+=(bubblewrap)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
  command -v node >/dev/null || need+=(nodejs npm)
  command -v runuser >/dev/null || need+=(util-linux)
  if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
      say "installing system packages: ${need[*]}"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    else
      say "missing system packages (install them as root): ${need[*]}"
    fi
  fi
  # npm ci again only when the lock file changed since the last install (npm records it).
  if [ -f tests/oidc/package.json ] &&
    [ ! tests/oidc/node_modules/.package-lock.json -nt tests/oidc/package-lock.json ]; then
    say "installing the test OpenID provider (npm)"
    (cd tests/oidc && npm ci --silent --no-audit --no-fund)
  fi
  # axe-core, the accessibility checker the browser tests add to every page.
  if [ -f tests/browser/package.json ] &&
    [ ! tests/browser/node_modules/.package-lock.json -nt tests/browser/package-lock.json ]; then
    say "installing axe-core for the browser tests (npm)"
    (cd tests/browser && npm ci --silent --no-audit --no-fund)
  fi
fi
say "ready"
