#!/usr/bin/env bash
# The programs the tests drive, from Debian's packages: installed when this runs as root
# with apt-get and one is missing; otherwise the tests that need it report themselves
# skipped with the reason. Called by `make test`. Add a line per program: "command package".
set -u
wanted="
chromium chromium
haproxy haproxy
mosquitto mosquitto
"
missing=()
while read -r command package; do
  [ -n "${command:-}" ] || continue
  command -v "$command" >/dev/null 2>&1 || [ -x "/usr/sbin/$command" ] || missing+=("$package")
done <<< "$wanted"
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "make test: installing Debian packages ${missing[*]}"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >/dev/null 2>&1 \
    || echo "make test: could not install ${missing[*]}; the tests that need them will be skipped"
else
  echo "make test: ${missing[*]} missing (not root): the tests that need them will be skipped"
fi
exit 0
