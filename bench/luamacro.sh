#!/usr/bin/env bash
# LEAKGRAPH_STORE in a real program built from source: `make bench-luamacro` or
# `bash bench/luamacro.sh`. The program is the Lua 5.3.5 interpreter (the npm package
# lua-src@5.3.5 ships its sources; fetched with `npm pack`, or give LUA_DIR=a directory
# holding Lua 5.3.5's src/). bench/lua/store-macro.patch annotates it as a user would:
# the pointer stores into a TValue (the setobj family and the set*value macros, so every
# stack push and table store that copies a reference) and the GC's object list go
# through LEAKGRAPH_STORE. Built four ways with gcc -O2: plain, with the patch, and with
# `leakgraph cflags gcc|clang` (the compiler hooks on every store, for comparison). Each
# runs bench/lua/work.lua (binary trees built and dropped, then a 20,000-record ring
# rewired 300,000 x SCALE times) under the tracer with a collection every INTERVAL
# seconds (collect_interval), as bench/realprog.sh does. Prints the median wall time of
# ROUNDS interleaved runs and each build's ratio to the plain build under the tracer
# (the clang build against a plain clang build).
# Knobs: ROUNDS=5  SCALE=4  INTERVAL=1  LAST_STORE=1 (collect_last_store)
set -u
cd "$(dirname "$0")/.." || exit 1
ROUNDS=${ROUNDS:-5}
SCALE=${SCALE:-4}
INTERVAL=${INTERVAL:-1}
LAST_STORE=${LAST_STORE:-1}
. bench/lib.sh
bench_setup luamacro
set -e
if [ -z "${LUA_DIR:-}" ]; then
    LUA_DIR=$B/lua-src
    if [ ! -f "$LUA_DIR/src/lapi.c" ]; then
        (cd "$B" && npm pack --silent lua-src@5.3.5 >/dev/null && tar xzf lua-src-5.3.5.tgz &&
            rm -rf lua-src && mv package lua-src)
    fi
fi
if ! grep -q 'LUA_VERSION_MINOR.*"3"' "$LUA_DIR/src/lua.h" || ! grep -q 'LUA_VERSION_RELEASE.*"5"' "$LUA_DIR/src/lua.h"; then
    echo "luamacro.sh: $LUA_DIR/src is not Lua 5.3.5"
    exit 2
fi
TOP=$PWD
build() { # NAME CC PATCH(0/1) FLAGS...
    local name=$1 cc=$2 patch=$3 src=$B/src-$1 f
    local -a files=()
    shift 3
    [ -x "$B/$name" ] && return 0
    echo "building $name" >&2
    rm -rf "$src" && mkdir -p "$src" && cp -r "$LUA_DIR/src" "$src/"
    [ "$patch" = 1 ] && (cd "$src" && patch -s -p1 <"$TOP/bench/lua/store-macro.patch")
    for f in "$src"/src/*.c; do [ "${f##*/}" = luac.c ] || files+=("$f"); done # the interpreter only
    $cc -O2 -g -std=gnu99 -DLUA_COMPAT_5_2 -DLUA_USE_POSIX -DLUA_USE_DLOPEN -I"$TOP/include" "$@" \
        "${files[@]}" -o "$B/$name" -lm -ldl -w
}
build lua-gcc gcc 0
build lua-gcc-macro gcc 1
# shellcheck disable=SC2046
build lua-gcc-hooks gcc 0 $($TOOL cflags gcc)
build lua-clang clang 0
# shellcheck disable=SC2046
build lua-clang-hooks clang 0 $($TOOL cflags clang)
set +e

run_ms() { # PRELOAD(0/1) PROG: wall ms
    local t0 t1 rc
    t0=$(date +%s%N)
    if [ "$1" = 1 ]; then
        LEAKGRAPH_OPTIONS=report=0:collect_interval=$INTERVAL:collect_last_store=$LAST_STORE \
            LD_PRELOAD=$LIB "$B/$2" bench/lua/work.lua "$SCALE" >"$B/$2.out" 2>"$B/$2.err"
    else
        "$B/$2" bench/lua/work.lua "$SCALE" >"$B/$2.out" 2>"$B/$2.err"
    fi
    rc=$?
    t1=$(date +%s%N)
    [ $rc = 0 ] || { echo "luamacro.sh: $2 exited $rc: $(tail -2 "$B/$2.err")" >&2; exit 1; }
    echo $(((t1 - t0) / 1000000))
}
V="lua-gcc lua-gcc-macro lua-gcc-hooks lua-clang lua-clang-hooks"
declare -A ms=()
for r in $(seq "$ROUNDS"); do # interleaved
    for v in $V; do
        ms[$v.n.$r]=$(run_ms 0 "$v") || exit 1
        ms[$v.t.$r]=$(run_ms 1 "$v") || exit 1
    done
done
sums=$(for v in $V; do cat "$B/$v.out"; done | sort -u | wc -l)
[ "$sums" = 1 ] || { echo "luamacro.sh: the builds disagree: $(cat "$B"/lua-*.out | sort | uniq -c)"; exit 1; }
echo "== Lua 5.3.5, bench/lua/work.lua $SCALE: wall ms, median of $ROUNDS; under the tracer with collect_interval=$INTERVAL, collect_last_store=$LAST_STORE"
# shellcheck disable=SC2086 # one argument per build
ratio_table 16 lua-gcc lua-clang $V
