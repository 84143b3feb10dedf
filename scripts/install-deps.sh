#!/usr/bin/env bash
# Installs everything Maestro needs to build, test and benchmark on Debian 12:
# the C libraries (-dev packages), test tools, Python 3 for the fake servers,
# Chromium for the browser tests, PostgreSQL 15 for the tests of the
# PostgreSQL store backend, and the web UI's npm packages.
# Idempotent and quiet when everything is already there.
#   scripts/install-deps.sh          # build + run deps, UI packages
#   scripts/install-deps.sh --test   # also test/benchmark tools (Chromium, wrk, clang + libFuzzer,
#                                    # PostgreSQL 15 server for the store tests, ...)
# The PostgreSQL client library (libpq) is a build dependency: the binary
# always links it, whether DATABASE_URL names SQLite or PostgreSQL. The
# PostgreSQL server is only needed by the tests (they start throwaway
# clusters, tests/support/pg.c) or by an operator who chooses it.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(
  build-essential cmake pkg-config git ca-certificates
  libcivetweb-dev libjansson-dev libsqlite3-dev libsodium-dev libcurl4-openssl-dev
  libpoppler-glib-dev libzip-dev libxml2-dev libmd4c-dev libmd4c-html0-dev libopenblas-dev
  libpango1.0-dev libcairo2-dev libpq-dev fonts-dejavu-core fonts-noto-cjk
)
# Node.js builds the UI. Vite 7 needs Node >= 20.19; Debian 12's own nodejs is
# 18, so a machine with a newer nodejs (e.g. from NodeSource) keeps it.
if ! command -v node >/dev/null 2>&1; then PKGS+=(nodejs npm); fi
TEST_PKGS=(
  libcriterion-dev libcairo2-dev python3 sqlite3 wrk chromium fonts-noto-cjk procps curl
  clang libclang-rt-dev postgresql-15
)

want=("${PKGS[@]}")
if [[ "${1:-}" == "--test" ]]; then want+=("${TEST_PKGS[@]}"); fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if command -v node >/dev/null 2>&1; then
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a==20&&b>=19)?0:1)' ||
    echo "install-deps: warning: Node.js $(node --version) is older than 20.19; the web UI build needs a newer one" >&2
fi

# The web UI's packages (exact versions from package-lock.json).
if [[ -f web/package.json ]]; then
  if [[ ! -d web/node_modules ]] || [[ web/package-lock.json -nt web/node_modules/.package-lock.json ]]; then
    echo "install-deps: npm ci in web/"
    (cd web && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
if [[ "${1:-}" == "--test" && -f tests/e2e/package.json ]]; then
  if [[ ! -d tests/e2e/node_modules ]] || [[ tests/e2e/package-lock.json -nt tests/e2e/node_modules/.package-lock.json ]]; then
    echo "install-deps: npm ci in tests/e2e/"
    (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
# The official MCP SDK for the MCP tests (ctest mcp_sdk_*; tests/mcp).
if [[ "${1:-}" == "--test" && -f tests/mcp/package.json ]]; then
  if [[ ! -d tests/mcp/node_modules ]] || [[ tests/mcp/package-lock.json -nt tests/mcp/node_modules/.package-lock.json ]]; then
    echo "install-deps: npm ci in tests/mcp/"
    (cd tests/mcp && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
