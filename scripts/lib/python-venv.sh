# Sourced by the venv setup scripts (scripts/litellm/setup.sh, scripts/contract/setup.sh).
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

# pinned_versions <venv dir> <distribution>...
#
# Prints the installed version of each distribution in the venv, space
# separated ("none" for one that is missing); nothing when the venv is unusable.
pinned_versions() {
  local venv="$1"
  shift
  "$venv/bin/python" - "$@" 2>/dev/null <<'PY' || true
import sys
from importlib.metadata import version, PackageNotFoundError
def v(name):
    try:
        return version(name)
    except PackageNotFoundError:
        return "none"
print(" ".join(v(name) for name in sys.argv[1:]))
PY
}

# install_pinned <venv dir> <python> <variable that names the venv> <min python> <python below, or ""> <requirement>...
#
# Makes the venv hold exactly the pinned requirements (`name==version` or
# `name[extra]==version`): nothing to do when it already does; otherwise checks
# the Python version, makes the venv (ensure_venv), pip-installs the pins and
# checks what got installed. Prints one line saying which it was.
install_pinned() {
  local venv="$1" python="$2" variable="$3" min="$4" below="$5"
  shift 5
  local started=$SECONDS names=() pins=() what="" requirement name
  for requirement in "$@"; do
    name="${requirement%%==*}"
    names+=("${name%%\[*}")
    pins+=("${requirement##*==}")
    what="${what:+$what, }${name%%\[*} ${requirement##*==}"
  done
  local want="${pins[*]}" range=">=$min${below:+,<$below}"
  if [ -x "$venv/bin/python" ] && [ "$(pinned_versions "$venv" "${names[@]}")" = "$want" ]; then
    echo "$what already installed in $venv"
    return 0
  fi
  if ! command -v "$python" >/dev/null 2>&1; then
    echo "setup.sh: $python not found (Python $range is needed)" >&2
    exit 1
  fi
  if ! "$python" - "$min" "$below" <<'PY'; then
import sys
version = lambda text: tuple(int(part) for part in text.split("."))
ok = sys.version_info[:2] >= version(sys.argv[1]) and (not sys.argv[2] or sys.version_info[:2] < version(sys.argv[2]))
sys.exit(0 if ok else 1)
PY
    echo "setup.sh: $what needs Python $range; $python is $("$python" -V 2>&1)" >&2
    exit 1
  fi
  ensure_venv "$venv" "$python" "$variable"
  echo "setup.sh: installing $* into $venv"
  PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/python" -m pip install --quiet "$@"
  local got
  got="$(pinned_versions "$venv" "${names[@]}")"
  if [ "$got" != "$want" ]; then
    echo "setup.sh: expected ${names[*]} '$want', found '$got'" >&2
    exit 1
  fi
  echo "$what installed in $venv ($((SECONDS - started)) s)"
}
