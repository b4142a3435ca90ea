# Sourced by the venv setup scripts (scripts/litellm/setup.sh, scripts/contract/setup.sh):
#
#   ensure_venv <venv dir> <python> <variable that names the venv>
#
# Makes <venv dir> a working venv of <python> unless it is one already. Debian's
# python3 ships venv without ensurepip unless python3-venv is installed: as root,
# installs it with apt-get; otherwise says how and exits. Never touches a
# directory that is not a venv.
ensure_venv() {
  local venv="$1" python="$2" variable="$3"
  if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
    return 0
  fi
  if ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
      echo "setup.sh: installing python3-venv with apt-get"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq python3-venv
    else
      echo "setup.sh: '$python -m venv' needs ensurepip: install python3-venv (as root: apt-get install -y python3-venv)" >&2
      exit 1
    fi
  fi
  if [ -e "$venv" ] && [ ! -f "$venv/pyvenv.cfg" ] && [ -n "$(ls -A "$venv" 2>/dev/null)" ]; then
    echo "setup.sh: $venv exists and is not a venv; not touching it (set $variable)" >&2
    exit 1
  fi
  rm -rf "$venv"  # a broken venv (or an empty directory)
  echo "setup.sh: creating venv $venv"
  "$python" -m venv "$venv"
}
