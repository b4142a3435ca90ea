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
started=$SECONDS

installed_version() {
  "$venv/bin/python" - 2>/dev/null <<'PY' || true
from importlib.metadata import version, PackageNotFoundError
try:
    print(version("schemathesis"))
except PackageNotFoundError:
    print("none")
PY
}

if [ -x "$venv/bin/schemathesis" ] && [ "$(installed_version)" = "$SCHEMATHESIS_PIN" ]; then
  echo "schemathesis $SCHEMATHESIS_PIN already installed in $venv"
  exit 0
fi

if ! command -v "$python" >/dev/null 2>&1; then
  echo "setup.sh: $python not found (Python 3.10 or newer is needed)" >&2
  exit 1
fi
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 10) else 1)'; then
  echo "setup.sh: schemathesis $SCHEMATHESIS_PIN needs Python >=3.10; $python is $("$python" -V 2>&1)" >&2
  exit 1
fi

# shellcheck source=../lib/python-venv.sh
. "$here/../lib/python-venv.sh"
ensure_venv "$venv" "$python" CONTRACT_VENV

echo "setup.sh: installing schemathesis==$SCHEMATHESIS_PIN into $venv"
PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
  "$venv/bin/python" -m pip install --quiet "schemathesis==$SCHEMATHESIS_PIN"

got="$(installed_version)"
if [ "$got" != "$SCHEMATHESIS_PIN" ]; then
  echo "setup.sh: expected schemathesis $SCHEMATHESIS_PIN, found '$got'" >&2
  exit 1
fi
echo "schemathesis $SCHEMATHESIS_PIN installed in $venv ($((SECONDS - started)) s)"
