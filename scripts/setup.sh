#!/usr/bin/env bash
# Installs what building and testing asyncio-cpp needs, when something is missing
# (Debian packages through apt-get; nothing is installed when all are present), then
# checks that CPython 3.13 answers to `PYENV_VERSION=3.13.0 python3`. Idempotent.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

packages=(cmake ninja-build g++ clang libclang-rt-14-dev libgtest-dev libgmock-dev
  libbenchmark-dev clang-format python3 git socat curl libssl-dev openssl)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q "${missing[@]}"
fi

version=$(PYENV_VERSION=3.13.0 python3 --version 2>&1 || true)
case $version in
  "Python 3.13."*) ;;
  *)
    echo "setup: ERROR: the twin tests need CPython 3.13 as 'PYENV_VERSION=3.13.0 python3'," >&2
    echo "setup: but it answered: ${version:-nothing}" >&2
    echo "setup: install it with 'pyenv install 3.13.0' and put pyenv's shims on PATH." >&2
    exit 1
    ;;
esac
echo "setup: ok ($(cmake --version | head -n 1), $(g++ --version | head -n 1), $version)"
