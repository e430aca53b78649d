#!/usr/bin/env bash
# Makes sure the services the platform and its tests need are installed and running:
#   PostgreSQL, Redis, NATS (JetStream), the Docker engine, nginx, the image registry binary (docker-registry),
#   pebble for the certificate tests, and OpenSearch for the request metrics when Java is present
#   (scripts/opensearch-node.sh).
# Checks first and only acts on what is missing, so it is fast (well under 2 s) when everything runs.
# As root it installs missing Debian packages and starts stopped services; otherwise it says what to run.
#
# Environment:
#   DATABASE_URL  default postgres://postgres@127.0.0.1:5432/test
#   REDIS_URL     default redis://127.0.0.1:6379
#   NATS_URL      default nats://127.0.0.1:4222
#   DOCKER_HOST   honoured by the docker CLI; dockerd is only started for the local default socket
#   DOCKERD_ARGS  extra arguments for dockerd when this script starts it (default: none)
#   DOCKERD_WAIT  seconds to wait for a starting dockerd (default 60)
#   SERVICES      which services to ensure, space separated (default "postgres redis nats docker nginx registry
#                 opensearch pebble")
#   OPENSEARCH_NODE_PORT etc.  see scripts/opensearch-node.sh
# Only services whose URL points at this machine's loopback are ever started; remote ones are only checked.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib/common.sh
source "$HERE/lib/common.sh"

DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
NATS_URL=${NATS_URL:-nats://127.0.0.1:4222}
DOCKERD_WAIT=${DOCKERD_WAIT:-60}
DOCKERD_LOG=/var/log/dockerd.log
SERVICES=${SERVICES:-postgres redis nats docker nginx registry opensearch pebble}
APT_LOG=/var/log/ensure-services-apt.log

START_MS=$(now_ms)
FAILED=()

# Two runs at once (parallel `npm test`s) must not both install packages or start a second dockerd.
if is_root; then LOCK=/run/lock/platform-ensure-services.lock; else LOCK=${TMPDIR:-/tmp}/platform-ensure-services-$(id -u).lock; fi
exec 9>"$LOCK" || { say_fail "cannot open the lock file $LOCK"; exit 1; }
if ! flock -n 9; then
  say_info "another ensure-services run is in progress; waiting for it"
  flock -w 900 9 || { say_fail "timed out waiting for $LOCK"; exit 1; }
fi

fail() { # fail "what failed" "what to do" ["what to do" ...]
  say_fail "$1"; shift
  local hint; for hint in "$@"; do say_hint "$hint"; done
  FAILED+=("$SERVICE_NAME")
  return 1
}

# ---- packages --------------------------------------------------------------------------------------------------
APT_UPDATED=0
POLICY_RC=/usr/sbin/policy-rc.d
POLICY_RC_OURS=0
cleanup() { (( POLICY_RC_OURS )) && rm -f "$POLICY_RC"; return 0; }
trap cleanup EXIT

# apt_install PACKAGE...: installs Debian packages as root; otherwise prints the command and fails.
# Package maintainer scripts are not allowed to start services (policy-rc.d): this script starts what it
# needs itself, with the settings the platform expects, and leaves the distro's nginx site stopped.
apt_install() {
  if ! is_root; then
    fail "$SERVICE_NAME is not installed" "as root, run: apt-get update && apt-get install -y $*" "then run this script again"
    return 1
  fi
  if [[ ! -e $POLICY_RC ]]; then
    printf '#!/bin/sh\n# written by scripts/ensure-services.sh for the length of one apt-get install\nexit 101\n' >"$POLICY_RC"
    chmod 755 "$POLICY_RC"; POLICY_RC_OURS=1
  fi
  if (( ! APT_UPDATED )); then
    say_info "apt-get update"
    if ! apt-get -o DPkg::Lock::Timeout=120 update >>"$APT_LOG" 2>&1; then
      tail -n 15 "$APT_LOG"
      fail "apt-get update failed" "see $APT_LOG; check the network / apt sources"
      return 1
    fi
    APT_UPDATED=1
  fi
  say_info "installing $* (apt, log in $APT_LOG)"
  if ! DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y --no-install-recommends "$@" 9>&- \
      >>"$APT_LOG" 2>&1; then
    tail -n 15 "$APT_LOG"
    fail "apt-get install $* failed" "see $APT_LOG"
    return 1
  fi
  cleanup; POLICY_RC_OURS=0
  hash -r
}

# try_start "description" COMMAND...: runs a start command, showing its output only when it fails
# (the output stays in START_OUT for the caller).
try_start() {
  local what=$1; shift
  say_info "starting $what"
  # 9>&-: a daemon must not inherit the lock, or it would hold it for as long as it runs.
  if ! START_OUT=$("$@" 2>&1 9>&-); then
    [[ -n $START_OUT ]] && printf '%s\n' "$START_OUT" | sed 's/^/    /'
    return 1
  fi
}

# ---- PostgreSQL ------------------------------------------------------------------------------------------------
pg_ready() { # accepting connections at all (a missing database is handled separately)
  if command -v pg_isready >/dev/null; then pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 2; else tcp_open "$PG_HOST" "$PG_PORT"; fi
}

pg_configure_fresh_cluster() { # a cluster this script just installed: trust auth on loopback, like CI
  local hba
  for hba in /etc/postgresql/*/main/pg_hba.conf; do
    grep -q 'ensure-services' "$hba" && continue
    sed -i '1i # ensure-services: test machine, trust on loopback\nlocal all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  done
}

ensure_postgres() {
  SERVICE_NAME=PostgreSQL
  read -r PG_HOST PG_PORT < <(url_host_port "$DATABASE_URL" 5432)
  local db=${DATABASE_URL##*/}; db=${db%%\?*}
  local where="$PG_HOST:$PG_PORT" fresh=0 out

  if ! pg_ready; then
    is_loopback "$PG_HOST" || { fail "PostgreSQL at $where (DATABASE_URL) does not answer" "start it there, or unset DATABASE_URL to use the local one"; return; }
    [[ $PG_PORT == 5432 ]] || { fail "nothing answers on $where (DATABASE_URL); this script only starts the cluster on port 5432" "start your own there, or unset DATABASE_URL"; return; }
    if ! command -v pg_ctlcluster >/dev/null || [[ -z $(ls /etc/postgresql 2>/dev/null) ]]; then
      apt_install postgresql || return
      fresh=1
    fi
    # shellcheck disable=SC2046  # exactly the documented start command
    if ! try_start "PostgreSQL" pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start \
        && [[ $START_OUT != *"already running"* ]]; then
      fail "could not start PostgreSQL" "as root, run: pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start"
      return
    fi
    # shellcheck disable=SC2046
    (( fresh )) && { pg_configure_fresh_cluster; pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main reload >/dev/null 2>&1; }
    wait_until 30 pg_ready || { fail "PostgreSQL did not come up on $where" \
      "look at /var/log/postgresql/ and run: pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start"; return; }
  fi

  # Reachable; now the database itself (a new machine has no "$db" database yet).
  if command -v psql >/dev/null && ! out=$(psql "$DATABASE_URL" -Atqc 'select 1' 2>&1); then
    if [[ $out == *"does not exist"* ]] && is_loopback "$PG_HOST" && is_root; then
      say_info "creating database $db"
      runuser -u postgres -- createdb -p "$PG_PORT" "$db" \
        || { fail "could not create database $db" "run: runuser -u postgres -- createdb -p $PG_PORT $db"; return; }
    else
      fail "PostgreSQL at $where refuses $DATABASE_URL: ${out%%$'\n'*}" \
        "create the database / allow the user (trust on loopback), or fix DATABASE_URL"
      return
    fi
  fi
  say_ok "PostgreSQL $where (database $db)"
}

# ---- Redis -----------------------------------------------------------------------------------------------------
redis_ready() {
  if command -v redis-cli >/dev/null; then
    [[ $(timeout 3 redis-cli -u "$REDIS_URL" --no-auth-warning ping 2>/dev/null) == PONG ]]
  else
    # shellcheck disable=SC2016  # expanded by the inner bash
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"; printf "PING\r\n" >&3; IFS= read -r r <&3; [[ $r == +PONG* ]]' "$REDIS_HOST" "$REDIS_PORT" 2>/dev/null
  fi
}

ensure_redis() {
  SERVICE_NAME=Redis
  read -r REDIS_HOST REDIS_PORT < <(url_host_port "$REDIS_URL" 6379)
  local where="$REDIS_HOST:$REDIS_PORT"
  if ! redis_ready; then
    is_loopback "$REDIS_HOST" || { fail "Redis at $where (REDIS_URL) does not answer" "start it there, or unset REDIS_URL to use the local one"; return; }
    [[ $REDIS_PORT == 6379 ]] || { fail "nothing answers on $where (REDIS_URL); this script only starts Redis on port 6379" "start your own there, or unset REDIS_URL"; return; }
    command -v redis-server >/dev/null || apt_install redis-server || return
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null
    try_start "Redis" redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log \
      || { fail "could not start Redis" "as root, run: redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save \"\" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log"; return; }
    wait_until 15 redis_ready || { fail "Redis did not come up on $where" "look at /var/log/redis/ci.log"; return; }
  fi
  say_ok "Redis $where"
}

# ---- NATS ------------------------------------------------------------------------------------------------------
# A NATS server greets every connection with an INFO line; JetStream servers say "jetstream":true in it.
nats_info() {
  # shellcheck disable=SC2016  # expanded by the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"; IFS= read -r line <&3; printf "%s" "$line"' "$NATS_HOST" "$NATS_PORT" 2>/dev/null
}
nats_ready() { [[ $(nats_info) == INFO* ]]; }

ensure_nats() {
  SERVICE_NAME=NATS
  read -r NATS_HOST NATS_PORT < <(url_host_port "$NATS_URL" 4222)
  local where="$NATS_HOST:$NATS_PORT" info
  if ! nats_ready; then
    is_loopback "$NATS_HOST" || { fail "NATS at $where (NATS_URL) does not answer" "start it there (with -js), or unset NATS_URL to use the local one"; return; }
    [[ $NATS_PORT == 4222 ]] || { fail "nothing answers on $where (NATS_URL); this script only starts NATS on port 4222" "start your own there, or unset NATS_URL"; return; }
    [[ -x /usr/sbin/nats-server ]] || apt_install nats-server || return
    mkdir -p /var/lib/nats-server 2>/dev/null
    try_start "NATS" start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
        -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log \
      || { fail "could not start NATS" "as root, run: start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log"; return; }
    wait_until 15 nats_ready || { fail "NATS did not come up on $where" "look at /var/log/nats-server.log"; return; }
  fi
  info=$(nats_info)
  if [[ $info != *'"jetstream":true'* ]]; then
    fail "NATS at $where runs without JetStream" "restart it with -js (and a store dir, -sd /var/lib/nats-server)"
    return
  fi
  local version=${info#*\"version\":\"}; version=${version%%\"*}
  say_ok "NATS $where (JetStream, server $version)"
}

# ---- Docker engine ---------------------------------------------------------------------------------------------
# DOCKER_INFO gets "version storage-driver", or the CLI's error message.
docker_ready() {
  DOCKER_INFO=$(timeout 10 docker info --format '{{.ServerVersion}} {{.Driver}}' 2>&1) && [[ $DOCKER_INFO != *rror* ]]
}

dockerd_running() { # a dockerd we can see that is still starting
  local pid
  [[ -r /var/run/docker.pid ]] && pid=$(</var/run/docker.pid) && [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null
}

ensure_docker() {
  SERVICE_NAME=Docker
  local remote=0
  [[ -n ${DOCKER_HOST:-} && ${DOCKER_HOST} != unix:///var/run/docker.sock && ${DOCKER_HOST} != unix:///run/docker.sock ]] && remote=1

  if ! command -v docker >/dev/null || { (( ! remote )) && ! command -v dockerd >/dev/null && [[ ! -x /usr/sbin/dockerd ]]; }; then
    (( remote )) && { fail "the docker CLI is not installed" "install docker.io (apt) or the docker CLI"; return; }
    apt_install docker.io || return
  fi

  if ! docker_ready; then
    (( remote )) && { fail "the Docker engine at DOCKER_HOST=$DOCKER_HOST does not answer: ${DOCKER_INFO##*$'\n'}" \
      "start it there, or unset DOCKER_HOST"; return; }
    if [[ $DOCKER_INFO == *"permission denied"* ]]; then
      fail "the Docker engine runs, but $(id -un) may not use /var/run/docker.sock" \
        "as root, run: usermod -aG docker $(id -un)   (then log in again), or run as root"
      return
    fi
    if ! dockerd_running; then
      is_root || { fail "the Docker engine is not running" "as root, run: bash scripts/ensure-services.sh   (or: dockerd >>$DOCKERD_LOG 2>&1 &)"; return; }
      say_info "starting dockerd (log in $DOCKERD_LOG)"
      # Its own session, so that it outlives this script and the test run that called it.
      # shellcheck disable=SC2086  # DOCKERD_ARGS is a list of flags
      setsid "$(command -v dockerd || echo /usr/sbin/dockerd)" ${DOCKERD_ARGS:-} >>"$DOCKERD_LOG" 2>&1 </dev/null 9>&- &
    else
      say_info "dockerd is starting; waiting for it"
    fi
    if ! wait_until "$DOCKERD_WAIT" docker_ready; then
      tail -n 15 "$DOCKERD_LOG" 2>/dev/null | sed 's/^/    /'
      fail "the Docker engine did not answer \`docker info\` within ${DOCKERD_WAIT}s" \
        "read $DOCKERD_LOG; extra daemon flags can be given in DOCKERD_ARGS (e.g. --storage-driver=vfs --iptables=false)"
      return
    fi
  fi
  say_ok "Docker engine ${DOCKER_INFO% *} (storage driver ${DOCKER_INFO#* })"
}

# ---- nginx -----------------------------------------------------------------------------------------------------
# Only the binary is needed: the platform runs its own nginx per local server, each with its own config.
# The distro's default site (listening on *:80) would stop those from binding 127.0.0.x:80, so it is disabled.
nginx_test_own_config() { # what the platform does: a private prefix and config, no root needed
  local dir; dir=$(mktemp -d) || return 1
  printf 'pid %s/nginx.pid;\nerror_log %s/error.log;\nevents {}\nhttp { access_log off; }\n' "$dir" "$dir" >"$dir/nginx.conf"
  "$NGINX_BIN" -t -q -p "$dir" -c "$dir/nginx.conf" 2>&1 | grep -v 'makes sense only if'
  local rc=${PIPESTATUS[0]}
  rm -rf "$dir"
  return "$rc"
}

ensure_nginx() {
  SERVICE_NAME=nginx
  NGINX_BIN=$(command -v nginx || { [[ -x /usr/sbin/nginx ]] && echo /usr/sbin/nginx; })
  if [[ -z $NGINX_BIN ]]; then
    apt_install nginx || return
    NGINX_BIN=$(command -v nginx || echo /usr/sbin/nginx)
  fi
  local out what
  if is_root; then
    if [[ -L /etc/nginx/sites-enabled/default ]]; then
      rm -f /etc/nginx/sites-enabled/default
      say_info "disabled the distro's default nginx site (it listens on *:80)"
      # A distro nginx that is already running would keep port 80: reload it without the default site.
      if [[ -s /run/nginx.pid ]] && kill -0 "$(</run/nginx.pid)" 2>/dev/null; then
        "$NGINX_BIN" -s reload 2>/dev/null 9>&- && say_info "reloaded the running distro nginx without it"
      fi
    fi
    what="nginx -t passes"
    if ! out=$("$NGINX_BIN" -t 2>&1); then
      printf '%s\n' "$out" | sed 's/^/    /'
      fail "nginx -t fails on /etc/nginx/nginx.conf" "fix the configuration above (the platform's own instances use their own config files)"
      return
    fi
  else
    what="a private config tests ok"
    if ! out=$(nginx_test_own_config); then
      printf '%s\n' "$out" | sed 's/^/    /'
      fail "nginx cannot test a minimal configuration" "reinstall it: apt-get install --reinstall nginx"
      return
    fi
  fi
  local version; version=$("$NGINX_BIN" -v 2>&1); version=${version##*/}
  say_ok "nginx $version (binary ok, $what; the platform starts its own instances)"
}

# ---- OpenSearch ------------------------------------------------------------------------------------------------
# The request metrics' second store. Optional for the platform (without it they stay in PostgreSQL alone), so
# without Java it is only a warning, except in CI, whose sink tests must run.
ensure_opensearch() {
  SERVICE_NAME=OpenSearch
  if ! command -v java >/dev/null; then
    if [[ ${CI:-} == true ]]; then
      fail "Java is not installed, and CI runs the OpenSearch tests" "as root, run: apt-get install -y openjdk-17-jdk-headless maven"
    else
      say_warn "OpenSearch skipped: Java is not installed (request metrics stay in PostgreSQL; its tests are skipped)"
    fi
    return
  fi
  bash "$HERE/opensearch-node.sh" start 9>&- || FAILED+=("$SERVICE_NAME")
}

# Let's Encrypt's test ACME server and its DNS stand-in: the certificate tests start their own instances.
ensure_pebble() {
  SERVICE_NAME=pebble
  if ! command -v pebble >/dev/null || ! command -v pebble-challtestsrv >/dev/null; then
    apt_install pebble || return
  fi
  say_ok "pebble (binary ok; the tests start their own ACME servers)"
}

# ---- image registry --------------------------------------------------------------------------------------------
# Only the binary of CNCF Distribution: the platform (libs/registry) runs its own registry with its own config, TLS
# from the platform CA and token auth; the distro's service is left stopped.
ensure_registry() {
  SERVICE_NAME=registry
  local bin=${REGISTRY_BIN:-/usr/bin/docker-registry}
  if [[ ! -x $bin ]]; then
    apt_install docker-registry || return
  fi
  if [[ ! -x $bin ]]; then
    fail "$bin is missing after installing docker-registry" "set REGISTRY_BIN to where the registry binary is"
    return
  fi
  local version; version=$("$bin" --version 2>&1 | awk '{print $3}')
  say_ok "docker-registry $version (binary ok; the platform starts its own registry)"
}

# ---- main ------------------------------------------------------------------------------------------------------
for service in $SERVICES; do
  case $service in
    postgres) ensure_postgres ;;
    redis) ensure_redis ;;
    nats) ensure_nats ;;
    docker) ensure_docker ;;
    nginx) ensure_nginx ;;
    registry) ensure_registry ;;
    opensearch) ensure_opensearch ;;
    pebble) ensure_pebble ;;
    *) SERVICE_NAME=$service; fail "unknown service '$service' in SERVICES" "use: postgres redis nats docker nginx registry opensearch pebble" ;;
  esac
done

if (( ${#FAILED[@]} )); then
  say_fail "services not ready: ${FAILED[*]} ($(elapsed_since "$START_MS")) — see the hints above"
  exit 1
fi
say_ok "services ready ($(elapsed_since "$START_MS"))"
