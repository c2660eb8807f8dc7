#!/usr/bin/env bash
# A real program built from source, plain and with store hooks: `make bench-realprog` or
# `bash bench/realprog.sh`. The program is the SQLite 3.52.0 shell (the amalgamation
# sqlite3.c and shell.c, from the sqlite-autoconf tarball that the npm package
# sqlite3@6.0.1 ships; fetched with `npm pack`, or give SQLITE_DIR=an extracted
# sqlite-autoconf directory). Built four ways: gcc and clang, each plain and with
# `leakgraph cflags gcc|clang`. Each build runs the same SQL workload (a 200,000-row
# table with an index: inserts, updates, deletes, joins and aggregates; B-tree pages
# and pointer-linked cursors, parser and VDBE structures) natively and under the tracer
# with a collection every INTERVAL seconds (collect_interval), so that the hooks are
# armed after the first one, as they are between collections. Prints the median wall time of ROUNDS
# interleaved runs and each instrumented build's ratio to the plain build of the same
# compiler, both under the tracer.
# Knobs: ROUNDS=5  ROWS=200000  INTERVAL=1
set -u
cd "$(dirname "$0")/.." || exit 1
ROUNDS=${ROUNDS:-5}
ROWS=${ROWS:-200000}
INTERVAL=${INTERVAL:-1}
. bench/lib.sh
bench_setup realprog
set -e
if [ -z "${SQLITE_DIR:-}" ]; then
    SQLITE_DIR=$B/sqlite-autoconf-3520000
    if [ ! -f "$SQLITE_DIR/sqlite3.c" ]; then
        (cd "$B" && npm pack --silent sqlite3@6.0.1 >/dev/null &&
            tar xzf sqlite3-6.0.1.tgz package/deps/sqlite-autoconf-3520000.tar.gz &&
            tar xzf package/deps/sqlite-autoconf-3520000.tar.gz)
    fi
fi
SRC="$SQLITE_DIR/shell.c $SQLITE_DIR/sqlite3.c"
DEFS="-DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -I$SQLITE_DIR"
build() { # NAME CC FLAGS...
    local name=$1 cc=$2
    shift 2
    [ -x "$B/$name" ] || { echo "building $name" >&2; $cc -O2 $DEFS "$@" $SRC -o "$B/$name" -lm; }
}
build sqlite-gcc gcc
# shellcheck disable=SC2046
build sqlite-gcc-hooks gcc $($TOOL cflags gcc)
build sqlite-clang clang
# shellcheck disable=SC2046
build sqlite-clang-hooks clang $($TOOL cflags clang)
set +e

cat >"$B/work.sql" <<SQL
PRAGMA cache_size = -65536;
CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c INTEGER, d REAL);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $ROWS)
INSERT INTO t SELECT i, hex(randomblob(12)), abs(random()) % 1000, random() / 7.0 FROM s;
CREATE INDEX tb ON t(b);
CREATE INDEX tc ON t(c, d);
UPDATE t SET b = hex(randomblob(10)) WHERE a % 3 = 0;
DELETE FROM t WHERE c % 7 = 0;
CREATE TABLE u AS SELECT c, count(*) AS n, avg(d) AS m FROM t GROUP BY c;
SELECT count(*), sum(n) FROM u JOIN t USING (c) WHERE t.a % 11 = 0;
SELECT b FROM t ORDER BY b LIMIT 1 OFFSET $((ROWS / 2));
SQL

run_ms() { # PRELOAD(0/1) PROG: wall ms
    local t0 t1
    t0=$(date +%s%N)
    if [ "$1" = 1 ]; then
        LEAKGRAPH_OPTIONS=report=0:collect_interval=$INTERVAL LD_PRELOAD=$LIB "$B/$2" :memory: <"$B/work.sql" >/dev/null 2>&1
    else
        "$B/$2" :memory: <"$B/work.sql" >/dev/null 2>&1
    fi
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000000))
}
V="sqlite-gcc sqlite-gcc-hooks sqlite-clang sqlite-clang-hooks"
declare -A ms=()
for r in $(seq "$ROUNDS"); do # interleaved
    for v in $V; do
        ms[$v.n.$r]=$(run_ms 0 $v)
        ms[$v.t.$r]=$(run_ms 1 $v)
    done
done
echo "== SQLite shell, $ROWS-row workload: wall ms, median of $ROUNDS; ratio to the plain build of the same compiler"
# shellcheck disable=SC2086 # one argument per build
ratio_table 20 sqlite-gcc sqlite-clang $V
