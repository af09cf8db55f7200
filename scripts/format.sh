#!/usr/bin/env bash
# Formats every tracked .hpp/.cpp with clang-format (.clang-format: Google, 100 columns).
# --check: change nothing, list the files that need formatting, exit 1 if any.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ASYNCIO_ROOT"

mapfile -d '' files < <(git ls-files -z -- '*.hpp' '*.cpp')
if [ ${#files[@]} -eq 0 ]; then exit 0; fi
if [ "${1:-}" = "--check" ]; then
  clang-format --dry-run --Werror "${files[@]}"
else
  clang-format -i "${files[@]}"
fi
