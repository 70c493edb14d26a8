#!/usr/bin/env bash
# Run a command against throwaway PostgreSQL + Redis:
#
#   scripts/with-services.sh CMD [ARGS...]
#
# installs what is missing (scripts/services.sh install), starts both in a fresh temp
# directory, exports TEST_DATABASE_URL / TEST_REDIS_URL, runs CMD, and always stops the
# services and removes the directory (normal exit, failure, Ctrl-C, SIGTERM/SIGHUP).
# Exits with CMD's exit status (130/143/129 when interrupted before CMD ran).
set -euo pipefail

if [[ $# -eq 0 ]]; then
  sed -n '2,9s/^# \{0,1\}//p' "$0" >&2
  exit 2
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
services="$here/services.sh"

dir=
in_cmd=0
interrupted=0

# shellcheck disable=SC2329  # invoked via trap
cleanup() {
  local rc=$?
  trap '' INT TERM HUP          # don't let a second Ctrl-C abort the cleanup
  if [[ -n $dir ]]; then
    "$services" stop "$dir" || echo "with-services: warning: stopping services in $dir failed" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT

# While CMD runs in the foreground, bash delivers these only after CMD has exited; CMD itself
# gets Ctrl-C from the terminal and decides its own exit status, which we then pass on.
# shellcheck disable=SC2329  # invoked via trap
on_signal() {
  if (( in_cmd )); then interrupted=$1; else exit "$1"; fi
}
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
trap 'on_signal 129' HUP

"$services" install
dir=$(mktemp -d "${TMPDIR:-/tmp}/convonet-services.XXXXXX")
"$services" start "$dir"
# shellcheck disable=SC1091
source "$dir/env"

in_cmd=1
set +e
"$@"
rc=$?
set -e
in_cmd=0

# CMD ignored the signal (exit 0) though we were asked to stop: still report the interruption
if (( rc == 0 && interrupted )); then rc=$interrupted; fi
exit "$rc"
