#!/usr/bin/env bash
# THE test command: setup, configure the `default` preset (RelWithDebInfo, build/), build what
# the tests need (target asyncio_tests: no examples, no benchmarks) with two jobs, run every
# test (unit, CPython twin tests, packaging) through CTest. Setup and configure are quiet
# (logs in build/logs/, printed when a step fails).
# Extra arguments go to ctest, e.g. `scripts/test.sh -R Gather` or `-LE packaging`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ASYNCIO_ROOT"

logs=$ASYNCIO_ROOT/build/logs
echo "test.sh: setup, configure (logs: build/logs/) ..."
quietly "$logs/setup.log" "$ASYNCIO_ROOT/scripts/setup.sh"
tail -n 1 "$logs/setup.log"
quietly "$logs/configure.log" configure_preset default
grep -E -A 3 '^(-- Twin tests|CMake Warning)' "$logs/configure.log" || true
# Keep going past a target that fails to build, so every test that built still runs
# (CTest then reports the missing ones as failures); the exit status covers both.
build_rc=0
start=$SECONDS
cmake --build --preset default --parallel 2 --target asyncio_tests -- -k 0 || build_rc=$?
echo "test.sh: built in $((SECONDS - start)) s"
ctest_rc=0
ctest --preset default --parallel 2 "$@" || ctest_rc=$?
if [ "$build_rc" -ne 0 ]; then
  echo "test.sh: the build failed (exit $build_rc); see the errors above" >&2
  exit "$build_rc"
fi
exit "$ctest_rc"
