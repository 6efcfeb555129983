#!/bin/sh
# Rejects unsafe or slow libc calls outside the one module allowed to wrap them
# (STYLE.md §10, after curl's checksrc).
set -eu
cd "$(dirname "$0")/.."
banned='\<(sprintf|vsprintf|strcpy|strcat|strtok|gets|atoi|atol|atof|strtol|strtoul|strtoll|strtoull|sscanf|system|popen)\('
# shellcheck disable=SC2046 # one word per file is intended
hits=$(grep -nE "$banned" $(find src -name '*.[ch]' ! -path src/core/parse.c) || true)
if [ -n "$hits" ]; then
        echo "$hits" >&2
        echo "aiops: banned call(s) above: use core/parse.h, snprintf or xasprintf instead" >&2
        exit 1
fi
