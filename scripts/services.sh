#!/usr/bin/env bash
# Make sure what the live tests need is installed and running on this
# machine: PostgreSQL, MariaDB and Redis (started when down), memcached and
# Chromium (installed from Debian's packages when missing; the tests start
# their own memcached processes on free loopback ports). Idempotent.
set -euo pipefail

log() { printf 'services: %s\n' "$*" >&2; }

apt_updated=0
need_pkg() { # need_pkg BINARY PACKAGE...
    local bin=$1
    shift
    if command -v "$bin" >/dev/null 2>&1 || [[ -x $bin ]]; then return 0; fi
    if [[ $apt_updated == 0 ]]; then
        log "apt-get update"
        apt-get update -qq >/dev/null
        apt_updated=1
    fi
    log "installing $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

need_pkg /usr/bin/memcached memcached
need_pkg chromium chromium
need_pkg pgbouncer pgbouncer

up() { # up NAME PORT START-COMMAND...
    local name=$1 port=$2
    shift 2
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    log "starting $name"
    "$@" >/dev/null 2>&1 || true
    for _ in $(seq 1 50); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
        sleep 0.2
    done
    log "$name does not answer on port $port"
    return 1
}

up PostgreSQL 5432 bash -c 'pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start'
up MariaDB 3306 start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
up Redis 6379 redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
log "PostgreSQL, MariaDB, Redis up; memcached and Chromium installed"
