#!/usr/bin/env bash
# The suite as `make pytest` runs it (inside scripts/with-services.sh):
#
#   scripts/run-tests.sh PYTHON WORKERS [PYTEST ARGS...]
#
# WORKERS pytest-xdist workers (0: this one process), each test file whole in one worker. With no
# PYTEST ARGS, the files in ALONE run after the rest, on their own: their timing is a person's on a page
# (the call-center transfer waits for the assistant's words after a click) and a second worker's load
# made it miss them now and then. Exits non-zero when either run failed.
set -uo pipefail
py=$1; workers=$2; shift 2
ALONE=(tests/e2e/test_call_center.py)
parallel=()
[[ $workers != 0 ]] && parallel=(-n "$workers" --dist loadfile)
if [[ $# -gt 0 ]]; then
  exec "$py" -m pytest "${parallel[@]}" "$@"
fi
rc=0
ignore=()
for f in "${ALONE[@]}"; do ignore+=(--ignore="$f"); done
"$py" -m pytest "${parallel[@]}" "${ignore[@]}" || rc=$?
"$py" -m pytest -p no:cacheprovider "${ALONE[@]}" || rc=$?
exit "$rc"
