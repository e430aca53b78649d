#!/usr/bin/env bash
# Builds the base images that generated Dockerfiles start FROM, without Docker Hub (which is out of reach):
#   node    platform/node:20         the host's Node.js runtime and npm, /bin/sh (dash), env and a few file
#                                    tools, the shared libraries `ldd` names for them, the host CA bundle (about 120 MB)
#   debian  platform/debian:bookworm a minimal Debian root filesystem made with debootstrap, plus the host CA bundle
#   python  platform/python:3.11     the Debian image with Debian's Python 3.11, venv, pip, gunicorn and uvicorn, and
#                                    a user "app" (uid 1000); builds the Debian image first when needed
# Usage: scripts/build-base-images.sh [--force] [node] [debian] [python]     (default: node debian python)
#
# Idempotent and cached: each image carries a label with a hash of its inputs (the binaries, the CA bundle, this
# script) and is rebuilt only when that changes or with --force. Runs at once from parallel test files are
# serialised by a lock, so the second finds the image built.
#
# Environment:
#   PLATFORM_NODE_IMAGE     tag of the Node image built here (default platform/node:20)
#   PLATFORM_DEBIAN_IMAGE   tag of the Debian image built here (default platform/debian:bookworm)
#   PLATFORM_PYTHON_IMAGE   tag of the Python image built here (default platform/python:3.11)
#   DEBIAN_MIRROR           debootstrap's mirror (default: the host's own Debian mirror, as apt is configured)
# Generated Dockerfiles read their base from PLATFORM_NODE_BASE_IMAGE (default platform/node:20) and
# PLATFORM_PYTHON_BASE_IMAGE (default platform/python:3.11), see libs/build.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib/common.sh
source "$HERE/lib/common.sh"

NODE_IMAGE=${PLATFORM_NODE_IMAGE:-platform/node:20}
DEBIAN_IMAGE=${PLATFORM_DEBIAN_IMAGE:-platform/debian:bookworm}
PYTHON_IMAGE=${PLATFORM_PYTHON_IMAGE:-platform/python:3.11}
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
INPUTS_LABEL=io.platform.base-inputs
SCRIPT_HASH=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)

FORCE=0
TARGETS=()
for arg in "$@"; do
  case $arg in
    --force) FORCE=1 ;;
    node | debian | python) TARGETS+=("$arg") ;;
    *) say_fail "unknown argument: $arg"; say_hint "usage: $0 [--force] [node] [debian] [python]"; exit 2 ;;
  esac
done
(( ${#TARGETS[@]} )) || TARGETS=(node debian python)

docker info >/dev/null 2>&1 || {
  say_fail "the Docker engine does not answer"
  say_hint "start it with: bash scripts/ensure-services.sh"
  exit 1
}

if is_root; then LOCK=/run/lock/platform-base-images.lock; else LOCK=${TMPDIR:-/tmp}/platform-base-images-$(id -u).lock; fi
exec 9>"$LOCK"
if ! flock -n 9; then
  say_info "another build of the base images is running; waiting for it"
  flock -w 1200 9 || { say_fail "timed out waiting for $LOCK"; exit 1; }
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# up_to_date IMAGE HASH: the image exists and was built from the same inputs.
up_to_date() {
  local have
  have=$(docker image inspect -f "{{ index .Config.Labels \"$INPUTS_LABEL\" }}" "$1" 2>/dev/null) || return 1
  (( ! FORCE )) && [[ $have == "$2" ]]
}

# import ROOTFS IMAGE HASH [--change ...]: turns a directory into an image (docker import needs no registry).
import_rootfs() {
  local rootfs=$1 image=$2 hash=$3 previous; shift 3
  previous=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
  tar --numeric-owner -C "$rootfs" -c . | docker import --change "LABEL $INPUTS_LABEL=$hash" "$@" - "$image" >/dev/null
  # The image it replaces is left untagged; remove it unless a container still uses it.
  [[ -n $previous ]] && docker image rm "$previous" >/dev/null 2>&1 || true
}

add_ca_bundle() { # the host's CA bundle, so containers can reach HTTPS (npm registry, Debian mirrors) as the host does
  install -D -m 0644 "$CA_BUNDLE" "$1/etc/ssl/certs/ca-certificates.crt"
}

# ---- platform/node:20 ----------------------------------------------------------------------------------------
copy_with_libraries() { # copy_with_libraries ROOTFS BINARY...: each binary and every library ldd lists for it
  local rootfs=$1; shift
  local binary lib
  for binary in "$@"; do
    install -D -m 0755 "$(readlink -f "$binary")" "$rootfs$binary"
    while read -r lib; do
      [[ -e $rootfs$lib ]] || install -D -m 0755 "$(readlink -f "$lib")" "$rootfs$lib"
    done < <(ldd "$(readlink -f "$binary")" | grep -o '/[^ ]*' | sort -u)
  done
}

build_node() {
  local node npm_dir hash started rootfs
  node=$(command -v node) || { say_fail "no node binary on this host"; return 1; }
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  hash=$( {
    echo "$SCRIPT_HASH"
    sha256sum "$(readlink -f "$node")" "$CA_BUNDLE" /bin/dash /usr/bin/env
    cat "$npm_dir/package.json"
    ldd "$(readlink -f "$node")" | grep -o '/[^ ]*' | sort -u | xargs -r sha256sum
  } | sha256sum | cut -c1-16)
  if up_to_date "$NODE_IMAGE" "$hash"; then
    say_ok "$NODE_IMAGE is up to date (inputs $hash)"
    return
  fi
  started=$(now_ms)
  say_info "building $NODE_IMAGE from the host's Node.js $("$node" --version) and npm $(node -p "require('$npm_dir/package.json').version")"
  rootfs=$WORK/node
  # node and npm; dash as /bin/sh for RUN steps and npm scripts; env for npm's "#!/usr/bin/env node"; and the few
  # file tools Dockerfiles commonly call.
  copy_with_libraries "$rootfs" /usr/bin/node /bin/dash /usr/bin/env /bin/cat /bin/ls /bin/mkdir /bin/rm /bin/cp /bin/mv \
    /bin/chmod /bin/chown /bin/ln /bin/sleep /bin/true /bin/false
  ln -s dash "$rootfs/bin/sh"
  mkdir -p "$rootfs/usr/lib/node_modules" "$rootfs/usr/local/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/root" "$rootfs/home/node" "$rootfs/app"
  cp -a "$npm_dir" "$rootfs/usr/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/bin/npx"
  chmod 1777 "$rootfs/tmp"
  chown 1000:1000 "$rootfs/home/node"
  printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000:node:/home/node:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  printf 'hosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
  add_ca_bundle "$rootfs"
  import_rootfs "$rootfs" "$NODE_IMAGE" "$hash" \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
    --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    --change 'WORKDIR /app' \
    --change 'CMD ["node"]'
  docker run --rm --network none "$NODE_IMAGE" node -e 'require("https"); process.exit(0)' \
    || { say_fail "$NODE_IMAGE was built but node does not run in it"; return 1; }
  say_ok "$NODE_IMAGE built (inputs $hash, $(docker image inspect -f '{{.Size}}' "$NODE_IMAGE" | awk '{printf "%d MB", $1/1e6}'), $(elapsed_since "$started"))"
}

# ---- platform/debian:bookworm ------------------------------------------------------------------------------------
# The mirror this host's apt already uses (a local mirror or proxy where there is one), read through apt itself so
# that one-line sources.list entries and deb822 .sources files alike count: the first repository of a main suite
# (not -updates or -security).
host_debian_mirror() {
  apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Identifier: Packages' 2>/dev/null | awk '$2 !~ /-/ { print $1; exit }'
}

DEBIAN_CHECKED=0
build_debian() {
  local mirror hash started rootfs
  (( DEBIAN_CHECKED )) && return # the Python image builds it first, and a list may name both
  DEBIAN_CHECKED=1
  mirror=${DEBIAN_MIRROR:-$(host_debian_mirror)}
  if [[ -z $mirror ]]; then
    say_fail "no Debian mirror found in this host's apt sources"
    say_hint "name one with DEBIAN_MIRROR=http://<your mirror>/debian"
    return 1
  fi
  hash=$( { echo "$SCRIPT_HASH bookworm minbase"; sha256sum "$CA_BUNDLE"; } | sha256sum | cut -c1-16)
  if up_to_date "$DEBIAN_IMAGE" "$hash"; then
    say_ok "$DEBIAN_IMAGE is up to date (inputs $hash)"
    return
  fi
  if ! command -v debootstrap >/dev/null; then
    if is_root; then
      say_info "installing debootstrap (apt)"
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y --no-install-recommends debootstrap \
        >"$WORK/apt.log" 2>&1 || { tail -n 15 "$WORK/apt.log" | sed 's/^/    /'; say_fail "installing debootstrap failed"; return 1; }
    else
      say_fail "debootstrap is not installed"; say_hint "as root: apt-get install -y debootstrap"; return 1
    fi
  fi
  started=$(now_ms)
  rootfs=$WORK/debian
  say_info "building $DEBIAN_IMAGE with debootstrap from $mirror (a minute or two; log in $WORK/debootstrap.log)"
  if ! debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1; then
    tail -n 15 "$WORK/debootstrap.log" | sed 's/^/    /'
    say_fail "debootstrap failed"; return 1
  fi
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
  add_ca_bundle "$rootfs"
  import_rootfs "$rootfs" "$DEBIAN_IMAGE" "$hash" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    --change 'CMD ["bash"]'
  say_ok "$DEBIAN_IMAGE built (inputs $hash, $(elapsed_since "$started"))"
}

# ---- platform/python:3.11 ----------------------------------------------------------------------------------------
# Debian's own packages on top of the Debian image: no Docker Hub and no PyPI needed to build it. gunicorn and
# uvicorn come with it, so a generated Dockerfile starts an app even when its requirements do not list a server.
PYTHON_PACKAGES="python3 python3-venv python3-pip gunicorn python3-uvicorn"

build_python() {
  local hash started previous
  build_debian
  hash=$( { echo "$SCRIPT_HASH $PYTHON_PACKAGES"; docker image inspect -f '{{.Id}}' "$DEBIAN_IMAGE"; } | sha256sum | cut -c1-16)
  if up_to_date "$PYTHON_IMAGE" "$hash"; then
    say_ok "$PYTHON_IMAGE is up to date (inputs $hash)"
    return
  fi
  started=$(now_ms)
  say_info "building $PYTHON_IMAGE from $DEBIAN_IMAGE and Debian's packages ($PYTHON_PACKAGES)"
  previous=$(docker image inspect -f '{{.Id}}' "$PYTHON_IMAGE" 2>/dev/null || true)
  if ! docker build --quiet --tag "$PYTHON_IMAGE" - >"$WORK/python-build.log" 2>&1 <<DOCKERFILE
FROM $DEBIAN_IMAGE
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $PYTHON_PACKAGES \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
 && useradd --uid 1000 --user-group --create-home --shell /bin/sh app
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    PYTHONUNBUFFERED=1
WORKDIR /app
LABEL $INPUTS_LABEL=$hash
CMD ["python3"]
DOCKERFILE
  then
    tail -n 15 "$WORK/python-build.log" | sed 's/^/    /'
    say_fail "building $PYTHON_IMAGE failed"; return 1
  fi
  # The image it replaces is left untagged (a --force rebuild from the cache keeps the same one).
  [[ -n $previous && $previous != $(docker image inspect -f '{{.Id}}' "$PYTHON_IMAGE") ]] && docker image rm "$previous" >/dev/null 2>&1 || true
  docker run --rm --network none "$PYTHON_IMAGE" python3 -c 'import gunicorn, uvicorn, ssl, venv' \
    || { say_fail "$PYTHON_IMAGE was built but Python or its servers do not load in it"; return 1; }
  say_ok "$PYTHON_IMAGE built (inputs $hash, $(docker image inspect -f '{{.Size}}' "$PYTHON_IMAGE" | awk '{printf "%d MB", $1/1e6}'), $(elapsed_since "$started"))"
}

for target in "${TARGETS[@]}"; do
  "build_$target"
done
