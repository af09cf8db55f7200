#!/usr/bin/env bash
# Packaging check: builds the tiny project tests/consumer against asyncio the three supported
# ways, each in a fresh temporary directory, and runs it:
#   find_package      after `cmake --install` of an asyncio build to a temporary prefix: of
#                     --build-dir when given (an existing build: nothing is recompiled), else
#                     of a build of the library alone, made once
#   add_subdirectory  of the source tree (also checks that the library's tests, examples and
#                     benchmarks are not configured)
#   FetchContent      from a git repository: a snapshot of the current tree, committed
# The last two compile the library's sources as part of the consumer (that is what they
# check), in a Debug build (-O0: the quickest), and only the consumer's target.
#
# Usage: tests/consumer/check.sh [--build-dir DIR] [--way WAY]... [SOURCE_DIR]
#   --build-dir DIR  an asyncio build tree (its library is brought up to date, then installed)
#   --way WAY        only this way (repeatable; default: all three)
# CXX selects the compiler, CMAKE_CXX_COMPILER_LAUNCHER a launcher such as ccache; -j2.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build_dir=
ways=()
while [ $# -gt 0 ]; do
  case $1 in
    --build-dir) build_dir=$(cd "$2" && pwd) || exit 2; shift 2 ;;
    --way) ways+=("$2"); shift 2 ;;
    -*) echo "check.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
src=$(cd "${1:-$here/../..}" && pwd)
if [ ${#ways[@]} -eq 0 ]; then ways=(find_package add_subdirectory FetchContent); fi
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}
gen=()
if command -v ninja >/dev/null; then gen=(-G Ninja); fi
common=("${gen[@]}" -DCMAKE_BUILD_TYPE=Debug)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/asyncio-consumer.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

# step LOG COMMAND...: runs COMMAND with its output appended to LOG (shown on failure).
step() {
  local log=$1
  shift
  if ! "$@" >>"$log" 2>&1; then
    echo "  failed: $*" >>"$log"
    return 1
  fi
}

# The consumer: configure (extra arguments), build its one target, run it.
consumer() {
  local log=$1 dir=$2
  shift 2
  step "$log" cmake -S "$here" -B "$dir" "${common[@]}" "$@" &&
    step "$log" cmake --build "$dir" --target consumer &&
    step "$log" "$dir/consumer"
}

way_find_package() {
  local log=$1 lib=$build_dir
  if [ -z "$lib" ]; then
    lib=$tmp/lib-build
    step "$log" cmake -S "$src" -B "$lib" "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DBUILD_TESTING=OFF -DASYNCIO_BUILD_EXAMPLES=OFF -DASYNCIO_BUILD_BENCH=OFF || return
  fi
  step "$log" cmake --build "$lib" --target asyncio &&
    step "$log" cmake --install "$lib" --prefix "$tmp/prefix" &&
    step "$log" test -f "$tmp/prefix/include/asyncio/asyncio.hpp" &&
    consumer "$log" "$tmp/find" -DASYNCIO_CONSUMER_MODE=find_package \
      -DCMAKE_PREFIX_PATH="$tmp/prefix"
}

way_add_subdirectory() {
  local log=$1
  consumer "$log" "$tmp/sub" -DASYNCIO_CONSUMER_MODE=add_subdirectory -DASYNCIO_SOURCE="$src" &&
    step "$log" test ! -e "$tmp/sub/asyncio/tests" &&
    step "$log" test ! -e "$tmp/sub/asyncio/examples" &&
    step "$log" test ! -e "$tmp/sub/asyncio/bench"
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
    consumer "$log" "$tmp/fetch" -DASYNCIO_CONSUMER_MODE=FetchContent \
      -DASYNCIO_SOURCE="file://$repo" -DASYNCIO_GIT_TAG="$(git -C "$repo" rev-parse HEAD)"
}

for way in "${ways[@]}"; do
  log=$tmp/$way.log
  start=$SECONDS
  if [ "$(type -t "way_$way")" != function ]; then
    failed=$((failed + 1))
    echo "FAIL $way: unknown way (find_package, add_subdirectory, FetchContent)"
  elif "way_$way" "$log"; then
    passed=$((passed + 1))
    echo "PASS $way ($((SECONDS - start)) s): $(tail -n 1 "$log")"
  else
    failed=$((failed + 1))
    echo "FAIL $way ($((SECONDS - start)) s); log:"
    sed 's/^/    /' "$log"
  fi
done
echo "consumer: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
