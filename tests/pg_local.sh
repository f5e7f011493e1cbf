#!/bin/sh
# `make run-postgresql` / `make stop-postgresql`: the console on a local PostgreSQL cluster under .pg/ in the
# checkout (Debian's postgresql package), trusting local connections only (a unix socket in .pg/ and 127.0.0.1 on
# $PGPORT, 54329 by default), with the demo in the database csp_demo. `run [ARGS...]` starts the cluster when it
# is not running, creates csp_demo and fills the demo when it is empty, then opens the console; `stop` stops it.
# As root the cluster is the postgres account's (initdb refuses root); where that account cannot reach .pg/ (a
# checkout under /root), the cluster goes to /var/tmp/csp-console-pg-N instead, saying so.
set -eu
action=${1:-run}
[ $# -gt 0 ] && shift
dir=$(pwd)/.pg
port=${PGPORT:-54329}
login=$(id -un)
url="postgresql://$login@127.0.0.1:$port/csp_demo"

as_postgres() { (cd "$dir" && runuser -u postgres -- "$@"); }
server_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n | tail -n 1; }
bin=$(server_bin)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "PostgreSQL's server programs are missing: install Debian's postgresql package (sudo apt-get install postgresql)." >&2
        exit 1
    fi
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql
    bin=$(server_bin)
fi
as=""  # initdb refuses root: as root the cluster is the postgres account's (run from its folder, which it can enter)
if [ "$(id -u)" = 0 ]; then
    as="as_postgres"
    mkdir -p "$dir"
    chown postgres:postgres "$dir"
    if ! $as test -w "$dir"; then  # a checkout under a folder only root may enter (/root): the account cannot reach it
        elsewhere=/var/tmp/csp-console-pg-$(printf %s "$dir" | cksum | cut -d' ' -f1)
        echo "The postgres account cannot reach $dir (a folder above it is root's alone): the cluster is in $elsewhere." >&2
        dir=$elsewhere
        mkdir -p "$dir"
        chown postgres:postgres "$dir"
    fi
fi

if [ "$action" = stop ]; then
    if [ -f "$dir/data/postmaster.pid" ]; then $as "$bin/pg_ctl" -D "$dir/data" -m fast -w stop; else echo "no cluster running in $dir"; fi
    exit 0
fi
if [ ! -f "$dir/data/PG_VERSION" ]; then
    mkdir -p "$dir"
    $as "$bin/initdb" -D "$dir/data" -U "$login" -A trust -E UTF8 --locale=C --lc-ctype=C.UTF-8 >"$dir/initdb.log"
fi
if ! $as "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    if ! $as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -o "-h 127.0.0.1 -p $port -k $dir" -w start >/dev/null; then
        echo "The PostgreSQL server in $dir/data did not start; the end of $dir/server.log:" >&2
        tail -n 5 "$dir/server.log" >&2
        echo "(Port $port taken by another server? PGPORT=N make run-postgresql picks another.)" >&2
        exit 1
    fi
fi
sql() { "$bin/psql" -X -q -h 127.0.0.1 -p "$port" -U "$login" -d "$1" -tAc "$2"; }
[ "$(sql postgres "SELECT 1 FROM pg_database WHERE datname = 'csp_demo'")" = 1 ] || sql postgres "CREATE DATABASE csp_demo"
# (two questions: a query naming a table that is not there yet fails as it is parsed, whatever comes first)
if [ "$(sql csp_demo "SELECT to_regclass('public.tickets') IS NOT NULL")" != t ] ||
    [ "$(sql csp_demo "SELECT EXISTS (SELECT 1 FROM tickets)")" != t ]; then
    .venv/bin/csp-console demo --db "$url"
fi
exec .venv/bin/csp-console --db "$url" "$@"
