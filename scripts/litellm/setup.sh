#!/usr/bin/env bash
# Installs a real LiteLLM proxy from PyPI into a Python venv, for integration tests.
#
#   scripts/litellm/setup.sh            # venv at <repo>/.venv
#   LITELLM_VENV=/tmp/llv scripts/litellm/setup.sh
#
# Idempotent: does nothing when the venv already holds the pinned versions, otherwise
# creates the venv (if missing) and pip-installs the pins into it. Non-interactive; safe
# to run as root on a fresh Debian machine (installs python3-venv with apt only when
# `python3 -m venv` cannot work). A fresh install takes about a minute (~750 MB).
# Then start the proxy with scripts/litellm/run.sh; see scripts/litellm/NOTES.md.
set -euo pipefail

# litellm 1.108.7 is the newest release whose [proxy] extra resolves on PyPI: from
# 1.108.8 on, the extra pins companion releases that PyPI does not have
# (litellm-enterprise==0.1.79.post2, litellm-proxy-extras==0.4.110.post1 / 0.4.113,
# litellm-proxy==1.110.x). 1.82.7 and 1.82.8 were the compromised releases; keep > 1.83.0.
LITELLM_PIN="1.108.7"
# Not needed to run the proxy, but without the `prisma` package the proxy answers a
# request with NO credentials with a 500 (its error handler does `import prisma`)
# instead of a 401. Installing the package (no `prisma generate`, no engine download:
# that only happens with a DATABASE_URL) fixes that. litellm's own range: >=0.11,<1.0.
PRISMA_PIN="0.15.0"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
venv="${LITELLM_VENV:-.venv}"
case "$venv" in
  /*) ;;
  *) venv="$repo_root/$venv" ;;
esac
python="${PYTHON:-python3}"

# shellcheck source=../lib/python-venv.sh
. "$here/../lib/python-venv.sh"
install_pinned "$venv" "$python" LITELLM_VENV 3.10 3.16 "litellm[proxy]==$LITELLM_PIN" "prisma==$PRISMA_PIN"
