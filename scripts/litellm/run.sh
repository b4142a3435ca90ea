#!/usr/bin/env bash
# Starts the LiteLLM proxy from the venv made by setup.sh, offline and quiet:
#
#   scripts/litellm/run.sh --config scripts/litellm/test-config.yaml --port 4000 --host 127.0.0.1
#
# Arguments go to `litellm` unchanged. It execs, so the PID you started is the proxy's
# (one process, no children). SIGTERM stops it cleanly (exit status 143) once in-flight
# requests end, at most GRACEFUL_SHUTDOWN_TIMEOUT seconds (30 by default); SIGTERM
# then SIGINT stops it at once. Ready when GET /health/liveliness answers 200 (~7 s).
# Every variable below can be overridden from the caller's environment.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
venv="${LITELLM_VENV:-.venv}"
case "$venv" in
  /*) ;;
  *) venv="$repo_root/$venv" ;;
esac
if [ ! -x "$venv/bin/litellm" ]; then
  echo "run.sh: no litellm in $venv; run scripts/litellm/setup.sh first" >&2
  exit 1
fi

# Read the model cost map bundled in the wheel; otherwise start-up tries to fetch it
# from GitHub 3 times (~6 s of retries here, then falls back to the same local copy).
export LITELLM_LOCAL_MODEL_COST_MAP="${LITELLM_LOCAL_MODEL_COST_MAP:-True}"
# Veto the proxy's telemetry (off by default anyway without a DB or an endpoint;
# the `--telemetry False` flag is a no-op kept for old command lines).
export LITELLM_TELEMETRY_DISABLED="${LITELLM_TELEMETRY_DISABLED:-true}"
# In the default "DEV" mode litellm loads a .env file from the working directory.
export LITELLM_MODE="${LITELLM_MODE:-PRODUCTION}"
export LITELLM_DONT_SHOW_FEEDBACK_BOX="${LITELLM_DONT_SHOW_FEEDBACK_BOX:-true}"
# Default is DEBUG-level handler with INFO logs per request; ERROR keeps stdout quiet.
export LITELLM_LOG="${LITELLM_LOG:-ERROR}"
# tiktoken's encodings (cl100k_base, o200k_base, p50k_base) ship inside litellm, which
# points TIKTOKEN_CACHE_DIR at them. Hugging Face tokenizers (llama/cohere model names
# only) would be downloaded: refuse that outright.
export HF_HUB_OFFLINE="${HF_HUB_OFFLINE:-1}"
export TRANSFORMERS_OFFLINE="${TRANSFORMERS_OFFLINE:-1}"

# No database: these would make the proxy connect to Postgres and run prisma.
exec env -u DATABASE_URL -u DIRECT_URL -u DATABASE_HOST -u DATABASE_USERNAME \
  -u DATABASE_PASSWORD -u DATABASE_NAME \
  "$venv/bin/litellm" "$@"
