#!/bin/sh
# Layers call only downwards (DESIGN.md "Source layout"): rejects a #include of a project
# header from a layer the including layer may not use. In detect/, only the pipeline modules
# (features, batch, online) read the store: the algorithms take arrays and return scores.
set -eu
cd "$(dirname "$0")/.."

allowed() {
        case $1 in
        core) echo "core" ;;
        collect) echo "core collect" ;;
        store) echo "core store" ;;
        logs) echo "core store logs" ;;
        detect) echo "core store detect" ;;
        agent) echo "core collect store logs detect agent" ;;
        patterns) echo "core store detect patterns" ;;
        scanners) echo "core store logs patterns scanners" ;;
        cli) echo "core collect store logs detect agent patterns scanners cli" ;;
        *) echo "" ;;
        esac
}

status=0
for dir in src/*/; do
        layer=$(basename "$dir")
        ok=$(allowed "$layer")
        for f in "$dir"*.[ch]; do
                [ -e "$f" ] || continue
                # shellcheck disable=SC2013 # include names have no blanks
                for inc in $(sed -n 's/^#include "\([a-z]*\)\/.*"/\1/p' "$f" | sort -u); do
                        if [ "$layer" = detect ] && [ "$inc" = store ]; then
                                case $(basename "$f") in
                                features.[ch] | batch.[ch] | online.[ch]) ;;
                                *)
                                        echo "$f: an algorithm module includes a 'store' header; only the detect pipeline (features, batch, online) may" >&2
                                        status=1
                                        ;;
                                esac
                        fi
                        case " $ok " in
                        *" $inc "*) ;;
                        *)
                                echo "$f: includes a '$inc' header, but layer '$layer' may only use: $ok" >&2
                                status=1
                                ;;
                        esac
                done
        done
done
exit $status
