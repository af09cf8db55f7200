#!/usr/bin/env bash
# Builds the examples (`default` preset) and runs the demo programs on the real clock:
# the seed programs seed_gather and seed_wait, then tasks_demo (each one that exists).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ASYNCIO_ROOT"

"$ASYNCIO_ROOT/scripts/setup.sh"
demos=()
for name in seed_gather seed_wait tasks_demo; do
  if [ -f "examples/$name.cpp" ]; then demos+=("$name"); fi
done
configure_preset default
cmake --build --preset default --parallel 2 --target "${demos[@]}"
for name in "${demos[@]}"; do
  header "examples/$name.cpp"
  "build/examples/$name"
done
