#!/usr/bin/env bash
# Builds the demo programs (`default` preset, build/) and runs them on the real clock: the
# seed programs seed_gather and seed_wait, then tasks_demo. Setup, configure and build are
# quiet (logs in build/logs/, printed when a step fails).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ASYNCIO_ROOT"

demos=(seed_gather seed_wait tasks_demo)
logs=$ASYNCIO_ROOT/build/logs
start=$SECONDS
echo "demo: setup, configure, build ${demos[*]} (logs: build/logs/) ..."
quietly "$logs/setup.log" "$ASYNCIO_ROOT/scripts/setup.sh"
quietly "$logs/configure.log" configure_preset default
quietly "$logs/build.log" cmake --build --preset default --parallel 2 --target "${demos[@]}"
echo "demo: built in $((SECONDS - start)) s"
for name in "${demos[@]}"; do
  header "examples/$name.cpp"
  "build/examples/$name"
done
