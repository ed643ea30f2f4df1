#!/usr/bin/env bash
# Prepare this machine for quantcloud: virtualenv, the zh_CN.GB18030 locale,
# PostgreSQL and Redis, migrations. Safe to run again: each step checks first.
# Uses the servers at DATABASE_URL / REDIS_URL when they answer; otherwise
# installs (Debian/Ubuntu, as root) and starts local ones.
set -euo pipefail
cd "$(dirname "$0")/.."

DATABASE_URL="${DATABASE_URL:-${QC_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/quantcloud}}"
REDIS_URL="${REDIS_URL:-${QC_REDIS_URL:-redis://127.0.0.1:6379/0}}"
VENV=.venv
PY=$VENV/bin/python
say() { printf '[setup] %s\n' "$*"; }

apt_updated=0
apt_install() {
    if [ "$apt_updated" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq; apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# 1. Python >= 3.11 with venv
if ! python3 -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    say "installing python3 and python3-venv"
    apt_install python3 python3-venv python3-dev
fi

# 2. the zh_CN.GB18030 locale: without it the CTP library aborts the process
if ! locale -a 2>/dev/null | grep -qi '^zh_CN\.gb18030$'; then
    say "creating the zh_CN.GB18030 locale"
    command -v locale-gen >/dev/null || apt_install locales
    grep -q '^zh_CN.GB18030 GB18030' /etc/locale.gen 2>/dev/null \
        || echo 'zh_CN.GB18030 GB18030' >> /etc/locale.gen
    locale-gen >/dev/null
fi

# 3. virtualenv with the project installed; reinstall only when pyproject.toml changed
stamp=$VENV/.installed-$(sha1sum pyproject.toml | cut -c1-12)
if [ ! -f "$stamp" ]; then
    say "installing the project into $VENV"
    [ -x "$PY" ] || python3 -m venv "$VENV"
    "$PY" -m pip install -q --upgrade pip
    "$PY" -m pip install -q -e '.[dev,cdk]'
    rm -f $VENV/.installed-*; touch "$stamp"
fi

# 4. Node.js for the CDK (jsii runs the construct library in Node)
command -v node >/dev/null || { say "installing Node.js for the CDK"; apt_install nodejs; }

# 5. PostgreSQL
pg_answers() { "$PY" -m shared.adapters.services ping-postgres "$DATABASE_URL" >/dev/null 2>&1; }
if ! pg_answers; then
    if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
        say "installing PostgreSQL"
        apt_install postgresql
    fi
    ver=$(ls /etc/postgresql | sort -V | tail -1)
    hba=/etc/postgresql/$ver/main/pg_hba.conf
    if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
        # local development database: trust on loopback only
        sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\nlocal all all trust' "$hba"
    fi
    say "starting PostgreSQL $ver"
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start 2>/dev/null \
        || pg_ctlcluster --skip-systemctl-redirect "$ver" main reload
    for _ in $(seq 30); do pg_answers && break; sleep 1; done
    pg_answers || { echo "[setup] PostgreSQL at $DATABASE_URL does not answer" >&2; exit 1; }
fi
"$PY" -m shared.adapters.services ensure-database "$DATABASE_URL"

# 6. Redis
redis_answers() { "$PY" -m shared.adapters.services ping-redis "$REDIS_URL" >/dev/null 2>&1; }
if ! redis_answers; then
    command -v redis-server >/dev/null || { say "installing Redis"; apt_install redis-server; }
    port=$("$PY" -c 'import sys, urllib.parse; print(urllib.parse.urlsplit(sys.argv[1]).port or 6379)' "$REDIS_URL")
    say "starting Redis on port $port"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
        --dir /var/lib/redis --logfile "/var/log/redis/quantcloud-$port.log"
    for _ in $(seq 30); do redis_answers && break; sleep 0.5; done
    redis_answers || { echo "[setup] Redis at $REDIS_URL does not answer" >&2; exit 1; }
fi

# 7. migrations
"$PY" -m shared.cli migrate --database-url "$DATABASE_URL"
say "ready: $DATABASE_URL, $REDIS_URL"
