#!/usr/bin/env bash
# Installs schemathesis (the OpenAPI fuzzer) from PyPI into a Python venv, for
# npm run test:contract (tests/contract/schemathesis.e2e.ts).
#
#   scripts/contract/setup.sh              # venv at <repo>/.venv-contract
#   CONTRACT_VENV=/tmp/stv scripts/contract/setup.sh
#
# Idempotent: does nothing when the venv already holds the pinned version.
# Non-interactive; installs python3-venv with apt only when `python3 -m venv`
# cannot work and we are root (like scripts/litellm/setup.sh). A fresh install
# takes about 20 s.
set -euo pipefail

# The 4.x line has the stateful phase driven by OpenAPI links and the
# use_after_free / ignored_auth checks the tier asserts.
SCHEMATHESIS_PIN="4.32.5"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
venv="${CONTRACT_VENV:-.venv-contract}"
case "$venv" in
  /*) ;;
  *) venv="$repo_root/$venv" ;;
esac
python="${PYTHON:-python3}"

# shellcheck source=../lib/python-venv.sh
. "$here/../lib/python-venv.sh"
install_pinned "$venv" "$python" CONTRACT_VENV 3.10 "" "schemathesis==$SCHEMATHESIS_PIN"
