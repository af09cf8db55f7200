#!/usr/bin/env bash
# THE test command: setup, configure the `default` preset (RelWithDebInfo, build/), build
# with two jobs, run every test (unit, CPython twin tests, packaging check) through CTest.
# Extra arguments go to ctest, e.g. `scripts/test.sh -R Gather` or `-LE packaging`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ASYNCIO_ROOT"

"$ASYNCIO_ROOT/scripts/setup.sh"
configure_preset default
# Keep going past a target that fails to build, so every test that built still runs
# (CTest then reports the missing ones as failures); the exit status covers both.
build_rc=0
cmake --build --preset default --parallel 2 -- -k 0 || build_rc=$?
ctest_rc=0
ctest --preset default --parallel 2 "$@" || ctest_rc=$?
if [ "$build_rc" -ne 0 ]; then
  echo "test.sh: the build failed (exit $build_rc); see the errors above" >&2
  exit "$build_rc"
fi
exit "$ctest_rc"
