# Shared helpers for the scripts in scripts/. Source it; it defines functions and sets nothing else.
# shellcheck shell=bash

# ---- output ---------------------------------------------------------------------------------------------------
# One line per step, all on stdout so that logs keep their order: "✔ what", "… what is happening", "✖ what failed" followed by indented "→ what to do".
say_ok()   { printf '✔ %s\n' "$*"; }
say_info() { printf '… %s\n' "$*"; }
say_warn() { printf '! %s\n' "$*"; }
say_fail() { printf '✖ %s\n' "$*"; }
say_hint() { printf '    → %s\n' "$*"; }

# Milliseconds since the epoch (bash 5 has EPOCHREALTIME; no subprocess needed).
now_ms() { local t=${EPOCHREALTIME/[.,]/}; printf '%s' "${t:0:-3}"; }

# "1.2s" from a start time taken with now_ms.
elapsed_since() {
  local ms=$(( $(now_ms) - $1 ))
  printf '%d.%ds' $(( ms / 1000 )) $(( (ms % 1000) / 100 ))
}

is_root() { [[ $(id -u) -eq 0 ]]; }

# ---- URLs ------------------------------------------------------------------------------------------------------
# url_host_port URL DEFAULT_PORT: prints "host port" for scheme://[user[:pass]@]host[:port][/...][?...].
# A comma-separated list (NATS_URL may be one) is reduced to its first entry. IPv6 hosts keep no brackets.
url_host_port() {
  local url=${1%%,*} default_port=$2 rest host port
  rest=${url#*://}
  rest=${rest%%/*}
  rest=${rest%%\?*}
  rest=${rest##*@}
  if [[ $rest == \[* ]]; then
    host=${rest#\[}; host=${host%%\]*}
    port=${rest##*\]}; port=${port#:}
  elif [[ $rest == *:* ]]; then
    host=${rest%%:*}; port=${rest##*:}
  else
    host=$rest; port=
  fi
  printf '%s %s\n' "${host:-127.0.0.1}" "${port:-$default_port}"
}

# True when the host is this machine's loopback (the only place this script may start things).
is_loopback() {
  case $1 in
    localhost | 127.* | ::1 | 0:0:0:0:0:0:0:1) return 0 ;;
    *) return 1 ;;
  esac
}

# tcp_open HOST PORT [SECONDS]: true when something accepts a TCP connection.
tcp_open() {
  # shellcheck disable=SC2016  # expanded by the inner bash
  timeout "${3:-2}" bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
}

# wait_until SECONDS COMMAND...: polls COMMAND every 0.2 s until it succeeds or the deadline passes.
wait_until() {
  local deadline=$(( $(now_ms) + $1 * 1000 )); shift
  until "$@"; do
    (( $(now_ms) < deadline )) || return 1
    sleep 0.2
  done
}
