#!/usr/bin/env bash
# Packaging check: builds tests/consumer against asyncio three ways, each in a fresh
# temporary directory, and runs it:
#   find_package      after `cmake --install` of the library to a temporary prefix
#   add_subdirectory  of the source tree (also checks the library's tests are not configured)
#   FetchContent      from a git repository: a snapshot of the current tree, committed
# Usage: tests/consumer/check.sh [SOURCE_DIR]   (CXX selects the compiler; -j2 by default)
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "${1:-$here/../..}" && pwd)
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}
gen=()
if command -v ninja >/dev/null; then gen=(-G Ninja); fi
common=("${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/asyncio-consumer.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
failures=()

# step LOG COMMAND...: runs COMMAND with its output appended to LOG (shown on failure).
step() {
  local log=$1
  shift
  if ! "$@" >>"$log" 2>&1; then
    echo "  failed: $*" >>"$log"
    return 1
  fi
}

way_find_package() {
  local log=$1
  step "$log" cmake -S "$src" -B "$tmp/lib-build" "${common[@]}" -DASYNCIO_BUILD_TESTS=OFF \
    -DASYNCIO_BUILD_EXAMPLES=OFF -DASYNCIO_BUILD_BENCH=OFF &&
    step "$log" cmake --build "$tmp/lib-build" &&
    step "$log" cmake --install "$tmp/lib-build" --prefix "$tmp/prefix" &&
    step "$log" test -f "$tmp/prefix/include/asyncio/asyncio.hpp" &&
    step "$log" cmake -S "$here" -B "$tmp/find" "${common[@]}" -DASYNCIO_CONSUMER_MODE=find_package \
      -DCMAKE_PREFIX_PATH="$tmp/prefix" &&
    step "$log" cmake --build "$tmp/find" &&
    step "$log" "$tmp/find/consumer"
}

way_add_subdirectory() {
  local log=$1
  step "$log" cmake -S "$here" -B "$tmp/sub" "${common[@]}" -DASYNCIO_CONSUMER_MODE=add_subdirectory \
    -DASYNCIO_SOURCE="$src" &&
    step "$log" test ! -e "$tmp/sub/asyncio/tests" &&
    step "$log" cmake --build "$tmp/sub" &&
    step "$log" "$tmp/sub/consumer"
}

way_FetchContent() {
  local log=$1 repo=$tmp/repo
  mkdir -p "$repo"
  # Snapshot the working tree (tracked and untracked, minus ignored files) as one commit, so
  # uncommitted changes are what gets fetched.
  if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$src" && git ls-files -z -co --exclude-standard) |
      tar -C "$src" --null --ignore-failed-read -T - -cf - 2>>"$log" | tar -C "$repo" -xf -
  else
    tar -C "$src" --exclude='./build*' -cf - . | tar -C "$repo" -xf -
  fi
  step "$log" git -C "$repo" init -q &&
    step "$log" git -C "$repo" add -A &&
    step "$log" git -C "$repo" -c user.name=check -c user.email=check@localhost \
      commit -q -m snapshot &&
    step "$log" cmake -S "$here" -B "$tmp/fetch" "${common[@]}" -DASYNCIO_CONSUMER_MODE=FetchContent \
      -DASYNCIO_SOURCE="file://$repo" -DASYNCIO_GIT_TAG="$(git -C "$repo" rev-parse HEAD)" &&
    step "$log" cmake --build "$tmp/fetch" &&
    step "$log" "$tmp/fetch/consumer"
}

for way in find_package add_subdirectory FetchContent; do
  log=$tmp/$way.log
  start=$SECONDS
  if "way_$way" "$log"; then
    passed=$((passed + 1))
    echo "PASS $way ($((SECONDS - start)) s): $(tail -n 1 "$log")"
  else
    failed=$((failed + 1))
    failures+=("$way")
    echo "FAIL $way ($((SECONDS - start)) s); log:"
    sed 's/^/    /' "$log"
  fi
done
echo "consumer: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
