#!/bin/sh
# Installs the Debian packages listed in packaging/debian-deps.txt that are missing.
# As root it runs apt-get itself; otherwise it prints the exact command to run and fails.
set -eu

list="$(dirname "$0")/../packaging/debian-deps.txt"
missing=""
# shellcheck disable=SC2013 # package names have no blanks
for pkg in $(sed -e 's/#.*//' "$list"); do
        status=$(dpkg-query -W -f '${db:Status-Status}' "$pkg" 2>/dev/null || true)
        [ "$status" = "installed" ] || missing="$missing $pkg"
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
        echo "aiops: missing Debian packages:$missing" >&2
        echo "aiops: run this as root, then run make again:" >&2
        echo "    apt-get update && apt-get install -y --no-install-recommends$missing" >&2
        exit 1
fi

echo "installing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086 # word splitting of the package list is intended
apt-get install -y -q --no-install-recommends $missing
