# Sourced by the scripts in this directory and by .ci/run: repository root, PATH, helpers.
# shellcheck shell=bash

ASYNCIO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export ASYNCIO_ROOT
# pyenv's shims provide `PYENV_VERSION=3.13.0 python3` (the twin tests' CPython 3.13).
if [ -d "${PYENV_ROOT:-$HOME/.pyenv}/shims" ]; then
  case ":$PATH:" in
    *":${PYENV_ROOT:-$HOME/.pyenv}/shims:"*) ;;
    *) export PATH="${PYENV_ROOT:-$HOME/.pyenv}/shims:$PATH" ;;
  esac
fi
# Two cores on the machines this project runs on.
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}
export CTEST_PARALLEL_LEVEL=${CTEST_PARALLEL_LEVEL:-2}

header() { printf '\n==== %s ====\n' "$*"; }

# quietly LOG COMMAND...: runs COMMAND with its output (stdout and stderr) in LOG only; when
# it fails, prints LOG and returns COMMAND's exit status.
quietly() {
  local log=$1 rc=0
  shift
  mkdir -p "$(dirname "$log")"
  "$@" >"$log" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    cat "$log" >&2
    echo "failed (exit $rc): $* (log: $log)" >&2
  fi
  return "$rc"
}

# configure_preset NAME: `cmake --preset NAME`, starting the cache afresh when the build
# directory was made by another generator or for another source tree (a copied checkout).
configure_preset() {
  local preset=$1 dir
  case $preset in
    default) dir=build ;;
    *) dir=build-$preset ;;
  esac
  local cache=$ASYNCIO_ROOT/$dir/CMakeCache.txt fresh=()
  if [ -f "$cache" ] && { ! grep -qx 'CMAKE_GENERATOR:INTERNAL=Ninja' "$cache" ||
    ! grep -qx "CMAKE_HOME_DIRECTORY:INTERNAL=$ASYNCIO_ROOT" "$cache"; }; then
    fresh=(--fresh)
  fi
  (cd "$ASYNCIO_ROOT" && cmake --preset "$preset" "${fresh[@]}")
}
