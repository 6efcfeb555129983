#!/bin/sh
# Fails when clang-format would change any tracked C file.
set -eu
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find src tests bench -name '*.[ch]')
[ -n "$files" ] || exit 0
# shellcheck disable=SC2086 # one word per file is intended
if ! clang-format --dry-run -Werror $files; then
        echo "aiops: code is not clang-format clean; run 'make format'" >&2
        exit 1
fi
