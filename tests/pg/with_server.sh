#!/usr/bin/env bash
# with_server.sh BINDIR CMD [ARGS...] - run CMD against a throw-away
# PostgreSQL server.
#
# initdb puts a new cluster in a temporary directory (as the unprivileged
# user postgres when run as root: initdb refuses root), the server listens
# on a Unix socket there and on no TCP port, CMD runs with RETAIN_TEST_PG
# naming it, and the server and its directory are gone at the end, whatever
# CMD did. fsync is off: the cluster dies with the test.
set -euo pipefail
bindir=$1; shift

dir=$(mktemp -d /tmp/retain-pg.XXXXXX)
as=()
user=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
    user=postgres
    chown postgres "$dir"
    as=(runuser -u postgres --)
fi

cleanup() {
    "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT

"${as[@]}" "$bindir/initdb" -D "$dir/data" -A trust -U "$user" -E UTF8 --locale=C.UTF-8 \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
"${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -s \
    -o "-k $dir -c listen_addresses= -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start || { cat "$dir/server.log" >&2; exit 1; }

export RETAIN_TEST_PG="host=$dir user=$user dbname=postgres"
set +e
"$@"
rc=$?
set -e
if [ $rc -ne 0 ] && [ -n "${RETAIN_PG_LOG:-}" ]; then
    tail -n 50 "$dir/server.log" >&2
fi
exit $rc
