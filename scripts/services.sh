#!/usr/bin/env bash
# Throwaway PostgreSQL + Redis + Kamailio for the test suite, and the browser for page tests.
#
#   scripts/services.sh install      apt-get install what is missing (postgresql, redis-server,
#                                    kamailio, kamailio-websocket-modules, chromium,
#                                    chromium-driver, fonts-liberation); no-op when warm
#   scripts/services.sh start DIR    start PostgreSQL, Redis and Kamailio on free 127.0.0.1 ports with
#                                    all state under DIR, wait until they answer, write DIR/env
#   scripts/services.sh stop DIR     stop them and remove DIR (safe after a failed/partial start)
#   scripts/services.sh kamailio-start|kamailio-stop KDIR
#                                    start (same ports and password on a restart) or stop only the
#                                    SIP registrar; KDIR is DIR/kamailio or a directory of a test's own
#
# DIR/env exports TEST_DATABASE_URL (postgresql+asyncpg://...), TEST_REDIS_URL and the SIP
# registrar's TEST_SIP_DIR, TEST_SIP_UDP_PORT, TEST_SIP_WS_PORT and TEST_SIP_PASSWORD
# (config/kamailio.cfg: a registrar with a WebSocket listener, like FusionPBX's WSS port).
# Debian-specific: PostgreSQL binaries are taken from /usr/lib/postgresql/<newest>/bin
# (override with PG_BINDIR=...). The packaged "main" cluster and the packaged services are
# never used: install asks postgresql-common not to create the cluster.
# Under root, PostgreSQL runs as the `postgres` system user (it refuses to run as root).
set -euo pipefail

PG_DB=convonet_test
PG_USER=convonet
MARKER=.convonet-services   # only directories carrying this file are ever deleted by `stop`
WAIT_SECONDS=${SERVICES_WAIT_SECONDS:-30}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

log() { printf 'services: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
  sed -n '2,15s/^# \{0,1\}//p' "$0" >&2
  exit 2
}

# ---------------------------------------------------------------------------------------------
# helpers

pg_bindir() {
  if [[ -n ${PG_BINDIR:-} ]]; then
    [[ -x $PG_BINDIR/pg_ctl ]] || return 1
    printf '%s\n' "$PG_BINDIR"
    return 0
  fi
  local d
  d=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  [[ -n $d && -x $d/initdb && -x $d/pg_ctl ]] || return 1
  printf '%s\n' "$d"
}

is_root() { [[ $(id -u) -eq 0 ]]; }

# run a command as the user that owns the PostgreSQL instance (from /, which it can always
# enter: initdb/pg_ctl complain when the current directory is e.g. /root)
as_pg() {
  if is_root; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
    return
  fi
  # fallback: probe random high ports with bash's /dev/tcp
  local p i
  for i in $(seq 1 200); do
    p=$(( 20000 + RANDOM % 30000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      printf '%s\n' "$p"
      return
    fi
  done
  die "no free port found"
}

abspath() {
  local d=$1
  [[ $d == /* ]] || d="$PWD/$d"
  printf '%s\n' "$d"
}

# refuse obviously dangerous DIR values before creating or deleting anything
check_dir_arg() {
  local d=$1
  case "$d" in
    ''|/|/.|/..|/bin|/boot|/dev|/etc|/home|/lib|/lib64|/opt|/proc|/root|/run|/sbin|/srv|/sys|/tmp|/usr|/var)
      die "refusing to use '$d' as the services directory" ;;
  esac
}

wait_until() {  # wait_until <description> <cmd...>
  local what=$1; shift
  local i
  for (( i = 0; i < WAIT_SECONDS * 10; i++ )); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  log "$what did not become ready within ${WAIT_SECONDS}s"
  return 1
}

# running and not a zombie (an exited daemon is re-parented to PID 1, which may reap it late)
pid_alive() {
  [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null || return 1
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}

# ---------------------------------------------------------------------------------------------
# install

cmd_install() {
  local need=()
  pg_bindir >/dev/null || need+=(postgresql)
  { command -v redis-server && command -v redis-cli; } >/dev/null 2>&1 || need+=(redis-server)
  command -v kamailio >/dev/null 2>&1 || need+=(kamailio)
  dpkg -s kamailio-websocket-modules >/dev/null 2>&1 || need+=(kamailio-websocket-modules)
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
  dpkg -s fonts-liberation >/dev/null 2>&1 || need+=(fonts-liberation)
  command -v haproxy >/dev/null 2>&1 || need+=(haproxy)  # the load balancer of tests/e2e/test_load_balanced.py
  # PostgreSQL as root needs runuser (util-linux, essential on Debian; checked anyway)
  if is_root && ! command -v runuser >/dev/null 2>&1; then need+=(util-linux); fi

  if (( ${#need[@]} == 0 )); then
    return 0
  fi

  local sudo=()
  if ! is_root; then
    command -v sudo >/dev/null 2>&1 || die "missing ${need[*]} and not root (no sudo)"
    sudo=(sudo)
  fi
  command -v apt-get >/dev/null 2>&1 || die "missing ${need[*]} and apt-get is not available"

  local t0=$SECONDS
  log "installing: ${need[*]}"

  local aptlog policy_rc_created=0
  aptlog=$(mktemp "${TMPDIR:-/tmp}/services-apt.XXXXXX")

  # The packaged cluster/services are never used: don't let postgresql-common create the
  # "main" cluster (saves an initdb and a server on :5432)...
  if [[ " ${need[*]} " == *" postgresql "* ]]; then
    "${sudo[@]}" mkdir -p /etc/postgresql-common/createcluster.d
    printf '%s\n' "# written by convonet scripts/services.sh: tests run their own throwaway instance" \
      "create_main_cluster = off" |
      "${sudo[@]}" tee /etc/postgresql-common/createcluster.d/convonet.conf >/dev/null
  fi
  # ...and don't let the packages start their services (matters on systemd/sysv machines;
  # docker images usually ship this file already). Only a file we create is removed again.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${sudo[@]}" chmod 755 /usr/sbin/policy-rc.d
    policy_rc_created=1
  fi

  local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -y
             -o Dpkg::Use-Pty=0 -o APT::Install-Recommends=false
             -o DPkg::Lock::Timeout=180)   # a fresh VM may still run unattended-upgrades
  local ok=0 updated=0

  # apt-get update only when the lists can't provide a package (fresh image: no lists at all)
  local pkg
  for pkg in "${need[@]}"; do
    if ! apt-cache policy "$pkg" 2>/dev/null | grep -q 'Candidate: [^(]'; then
      "${apt[@]}" update >>"$aptlog" 2>&1 || log "warning: apt-get update reported errors (continuing)"
      updated=1
      break
    fi
  done

  if "${apt[@]}" install --no-install-recommends "${need[@]}" >>"$aptlog" 2>&1; then
    ok=1
  elif (( ! updated )); then
    # stale lists (e.g. a package version was superseded on the mirror): refresh and retry once
    log "install failed with the current package lists; running apt-get update and retrying"
    "${apt[@]}" update >>"$aptlog" 2>&1 || log "warning: apt-get update reported errors (continuing)"
    if "${apt[@]}" install --no-install-recommends "${need[@]}" >>"$aptlog" 2>&1; then ok=1; fi
  fi

  if (( policy_rc_created )); then "${sudo[@]}" rm -f /usr/sbin/policy-rc.d; fi

  if (( ! ok )); then
    tail -n 40 "$aptlog" >&2
    rm -f "$aptlog"
    die "apt-get install ${need[*]} failed"
  fi
  rm -f "$aptlog"
  pg_bindir >/dev/null || die "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin after install"
  log "installed in $(( SECONDS - t0 ))s"
}

# ---------------------------------------------------------------------------------------------
# start

start_postgres() {
  local dir=$1 bindir pgroot pgdata port pw superpw attempt
  bindir=$(pg_bindir) || die "PostgreSQL not found (run: $0 install)"
  if is_root; then
    id postgres >/dev/null 2>&1 || die "system user 'postgres' missing (run: $0 install)"
  fi

  # The data directory lives in DIR when the postgres user can reach it; otherwise (DIR under a
  # 0700 home such as /root) in a private /tmp directory that DIR points to.
  pgroot="$dir/pg"
  mkdir -p "$pgroot"
  if is_root; then
    chmod 755 "$pgroot"
    chown postgres: "$pgroot"
    if ! runuser -u postgres -- test -w "$pgroot"; then
      pgroot=$(mktemp -d "${TMPDIR:-/tmp}/convonet-pg.XXXXXX")
      : > "$pgroot/$MARKER"
      chmod 755 "$pgroot"
      chown postgres: "$pgroot"
      log "postgres user cannot reach $dir; keeping the PostgreSQL data in $pgroot"
    fi
  fi
  printf '%s\n' "$pgroot" > "$dir/pg.root"
  pgdata="$pgroot/data"
  printf '%s\n' "$bindir" > "$dir/pg.bindir"

  pw=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  superpw=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  printf '%s\n' "$superpw" > "$pgroot/superuser.pw"
  if is_root; then chown postgres: "$pgroot/superuser.pw"; fi
  chmod 600 "$pgroot/superuser.pw"

  as_pg "$bindir/initdb" -D "$pgdata" -U postgres --pwfile="$pgroot/superuser.pw" \
    --auth-local=scram-sha-256 --auth-host=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 --no-sync --no-instructions >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; die "initdb failed"; }

  # TCP on loopback only, no unix socket (avoids socket-path length limits and /var/run perms)
  as_pg tee -a "$pgdata/postgresql.conf" >/dev/null <<'EOF'

# --- convonet throwaway test instance ---
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
log_min_messages = warning
EOF

  for attempt in 1 2 3; do
    port=$(free_port)
    if as_pg "$bindir/pg_ctl" -D "$pgdata" -l "$pgroot/postgres.log" -o "-p $port" \
         -w -t "$WAIT_SECONDS" -s start; then
      break
    fi
    log "PostgreSQL failed to start on port $port (attempt $attempt)"
    tail -n 20 "$pgroot/postgres.log" >&2 2>/dev/null || true
    port=
  done
  [[ -n $port ]] || die "PostgreSQL did not start"
  printf '%s\n' "$port" > "$dir/pg.port"

  wait_until "PostgreSQL" "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -d postgres || die "PostgreSQL not ready"

  PGPASSWORD=$superpw "$bindir/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres \
    -v ON_ERROR_STOP=1 >/dev/null <<EOF || die "creating role/database failed"
CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$pw';
CREATE DATABASE $PG_DB OWNER $PG_USER;
EOF

  PG_URL="postgresql+asyncpg://$PG_USER:$pw@127.0.0.1:$port/$PG_DB"
}

start_redis() {
  local dir=$1 port attempt
  command -v redis-server >/dev/null 2>&1 || die "redis-server not found (run: $0 install)"
  mkdir -p "$dir/redis"
  for attempt in 1 2 3; do
    port=$(free_port)
    printf '%s\n' "$port" > "$dir/redis.port"
    if redis-server --bind 127.0.0.1 --port "$port" --protected-mode yes \
         --save '' --appendonly no --dir "$dir/redis" \
         --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
         --loglevel warning >"$dir/redis.out" 2>&1 &&
       wait_until "Redis" redis_ping "$port"; then
      break
    fi
    log "Redis failed to start on port $port (attempt $attempt)"
    tail -n 20 "$dir/redis.out" "$dir/redis.log" >&2 2>/dev/null || true
    stop_redis "$dir"
    port=
  done
  [[ -n $port ]] || die "Redis did not start"
  REDIS_URL="redis://127.0.0.1:$port/0"
}

redis_ping() { [[ $(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) == PONG ]]; }

# Kamailio in the foreground of a background job (logs in KDIR/kamailio.log). A restart reuses
# KDIR/ports and KDIR/password, so registered browsers find it where it was.
start_kamailio() {
  local kdir=$1 udp ws pw pid
  command -v kamailio >/dev/null 2>&1 || die "kamailio not found (run: $0 install)"
  mkdir -p "$kdir/run"
  if [[ -f $kdir/ports ]]; then
    read -r udp ws < "$kdir/ports"
    pw=$(cat "$kdir/password")
  else
    udp=$(free_port); ws=$(free_port)
    pw=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    printf '%s %s\n' "$udp" "$ws" > "$kdir/ports"
    (umask 077; printf '%s\n' "$pw" > "$kdir/password")
  fi
  KAMAILIO_SIP_PASSWORD=$pw setsid kamailio -f "$ROOT/config/kamailio.cfg" -DD -E \
    -l "udp:127.0.0.1:$udp" -l "tcp:127.0.0.1:$ws" -Y "$kdir/run" -P "$kdir/run/kamailio.pid" \
    </dev/null >>"$kdir/kamailio.log" 2>&1 &
  pid=$!
  printf '%s\n' "$pid" > "$kdir/kamailio.pid"
  if ! wait_until "Kamailio" port_open "$ws"; then
    tail -n 20 "$kdir/kamailio.log" >&2
    die "Kamailio did not start"
  fi
  {
    printf 'export TEST_SIP_DIR=%s\n' "$kdir"
    printf 'export TEST_SIP_UDP_PORT=%s\n' "$udp"
    printf 'export TEST_SIP_WS_PORT=%s\n' "$ws"
    printf 'export TEST_SIP_PASSWORD=%s\n' "$pw"
  } > "$kdir/env"
  chmod 600 "$kdir/env"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

stop_kamailio() {
  local kdir=$1 pid i
  pid=$(cat "$kdir/kamailio.pid" 2>/dev/null || true)
  [[ -n $pid ]] || return 0
  if pid_alive "$pid"; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for (( i = 0; i < 50; i++ )); do pid_alive "$pid" || break; sleep 0.1; done
    if pid_alive "$pid"; then kill -KILL -- "-$pid" 2>/dev/null || true; fi
  fi
  rm -f "$kdir/kamailio.pid"
}

cmd_start() {
  local dir
  dir=$(abspath "${1:?usage: $0 start DIR}")
  check_dir_arg "$dir"

  if [[ -e $dir ]]; then
    if [[ -e $dir/$MARKER ]]; then
      log "$dir holds a previous run; stopping it first"
      cmd_stop "$dir"
    elif [[ -n $(ls -A "$dir" 2>/dev/null) ]]; then
      die "$dir exists and is not empty (and was not created by this script)"
    fi
  fi
  mkdir -p "$dir"
  : > "$dir/$MARKER"
  # postgres must be able to traverse DIR to reach DIR/pg
  chmod 755 "$dir"

  local t0=$SECONDS PG_URL REDIS_URL
  start_postgres "$dir"
  start_redis "$dir"
  start_kamailio "$dir/kamailio"

  {
    printf 'export TEST_DATABASE_URL=%s\n' "$PG_URL"
    printf 'export TEST_REDIS_URL=%s\n' "$REDIS_URL"
    cat "$dir/kamailio/env"
  } > "$dir/env.tmp"
  chmod 600 "$dir/env.tmp"   # holds the database password
  mv "$dir/env.tmp" "$dir/env"
  log "PostgreSQL on 127.0.0.1:$(cat "$dir/pg.port"), Redis on 127.0.0.1:$(cat "$dir/redis.port"), Kamailio on udp/ws 127.0.0.1:$(cat "$dir/kamailio/ports" | tr " " /) ($(( SECONDS - t0 ))s); env in $dir/env"
}

# ---------------------------------------------------------------------------------------------
# stop

stop_postgres() {
  local dir=$1 pgroot bindir pid i
  [[ -f $dir/pg.root ]] || return 0
  pgroot=$(cat "$dir/pg.root")
  [[ -n $pgroot ]] || return 0
  bindir=$(cat "$dir/pg.bindir" 2>/dev/null || pg_bindir || true)
  if [[ -f $pgroot/data/postmaster.pid ]]; then
    pid=$(head -n 1 "$pgroot/data/postmaster.pid" 2>/dev/null || true)
    if [[ -n $bindir && -x $bindir/pg_ctl ]]; then
      as_pg "$bindir/pg_ctl" -D "$pgroot/data" -m immediate -w -t 10 -s stop >/dev/null 2>&1 || true
    fi
    if pid_alive "$pid"; then
      kill -QUIT "$pid" 2>/dev/null || true   # SIGQUIT = immediate shutdown
      for (( i = 0; i < 50; i++ )); do pid_alive "$pid" || break; sleep 0.1; done
      if pid_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    fi
  fi
  # a data directory outside DIR (fallback location) carries the marker too
  if [[ $pgroot != "$dir/pg" && -e $pgroot/$MARKER ]]; then
    rm -rf -- "$pgroot"
  fi
}

stop_redis() {
  local dir=$1 pid port i
  pid=$(cat "$dir/redis.pid" 2>/dev/null || true)
  port=$(cat "$dir/redis.port" 2>/dev/null || true)
  if [[ -n $port ]] && command -v redis-cli >/dev/null 2>&1; then
    timeout 5 redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true
  fi
  if pid_alive "$pid"; then
    for (( i = 0; i < 30; i++ )); do pid_alive "$pid" || break; sleep 0.1; done
    if pid_alive "$pid"; then kill -TERM "$pid" 2>/dev/null || true; sleep 0.3; fi
    if pid_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$dir/redis.pid"
}

cmd_stop() {
  local dir
  dir=$(abspath "${1:?usage: $0 stop DIR}")
  check_dir_arg "$dir"
  [[ -d $dir ]] || return 0
  if [[ ! -e $dir/$MARKER ]]; then
    if [[ -z $(ls -A "$dir" 2>/dev/null) ]]; then rmdir "$dir" 2>/dev/null || true; return 0; fi
    die "$dir was not created by '$0 start'; not touching it"
  fi
  stop_kamailio "$dir/kamailio" || true
  stop_redis "$dir" || true
  stop_postgres "$dir" || true
  rm -rf -- "$dir"
}

# ---------------------------------------------------------------------------------------------

case "${1:-}" in
  install) shift; cmd_install "$@" ;;
  start)   shift; [[ $# -eq 1 ]] || usage; cmd_start "$1" ;;
  stop)    shift; [[ $# -eq 1 ]] || usage; cmd_stop "$1" ;;
  kamailio-start) shift; [[ $# -eq 1 ]] || usage; start_kamailio "$(abspath "$1")" ;;
  kamailio-stop)  shift; [[ $# -eq 1 ]] || usage; stop_kamailio "$(abspath "$1")" ;;
  *) usage ;;
esac
