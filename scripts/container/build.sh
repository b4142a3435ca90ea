#!/usr/bin/env bash
# Builds the project's Containerfile with podman, as CI does on machines with
# no image registry: the base is the local stand-in from bases.sh (made once,
# then reused), passed as the NODE_IMAGE build argument; nothing else differs
# from a user's build. Tags the image $IMAGE (localhost/agent-service:test).
#
#   bash scripts/container/build.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

IMAGE=${IMAGE:-localhost/agent-service:test}
PODMAN=${PODMAN:-podman --runtime runc --cgroup-manager=cgroupfs}
export PODMAN

base=$(bash scripts/container/bases.sh)
echo "== podman build -t $IMAGE (NODE_IMAGE=$base)"
start=$(date +%s)
# --format docker: the OCI image format has no HEALTHCHECK. --network host, and
# the certificate authorities this machine's npm trusts (its `cafile`, when it
# has one: a TLS-inspecting proxy's), mounted for the build's RUN steps only:
# the build's npm ci reaches the registry the way this machine's does, and no
# layer of the image keeps either.
trust=()
cafile=$(npm config get cafile)
if [ -n "$cafile" ] && [ "$cafile" != "null" ] && [ -f "$cafile" ]; then
  npmrc=$(mktemp /tmp/agent-service-npmrc.XXXXXX)
  trap 'rm -f "$npmrc"' EXIT
  echo "cafile=/usr/local/etc/machine-ca.crt" >"$npmrc"
  chmod 0644 "$npmrc"
  trust=(-v "$cafile:/usr/local/etc/machine-ca.crt:ro" -v "$npmrc:/usr/local/etc/npmrc:ro")
fi
# (npm 10.8.2 can exit 0 after failing to reach the registry, "Exit handler
# never called!"; the later steps then fail, but the empty install stays in
# the layer cache: hence the hint.)
$PODMAN build ${PODMAN_BUILD_FLAGS:-} --format docker --network host "${trust[@]}" --build-arg "NODE_IMAGE=$base" -f Containerfile -t "$IMAGE" . || {
  echo "build.sh: the build failed; if an npm ci step above printed errors but passed, its layer is cached: run again with PODMAN_BUILD_FLAGS=--no-cache" >&2
  exit 1
}
echo "== built $IMAGE in $(($(date +%s) - start)) s: $($PODMAN image inspect --format '{{.Size}}' "$IMAGE") bytes"
