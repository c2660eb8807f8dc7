#!/bin/bash
# leakgraph on real programs nobody on the team wrote: each one runs natively and under
# `leakgraph run` (timeout 120 s); stdout and the exit status must be the same, it must
# not hang, and a report must appear on stderr ("LEAK SUMMARY").
#
# Also, on some of them, incremental collections verified block by block (rpc).
#
# Environment: LG_TOOL (the leakgraph command; required), LG_LIB (libleakgraph.so, for
# the collections), LG_JOBS (parallel tests,
# default: number of CPUs), LG_ONLY (regular expression on test names), LG_KEEP=1.
# Output: "ok NAME" / "FAIL NAME: reason" per test, "NAME: not installed" for programs
# that are missing, then "N passed, M failed". Exit status 1 if any test failed.
set -u
. "$(dirname "$0")/lib.sh"

unset LEAKGRAPH_OPTIONS
LG_TOOL=${LG_TOOL:-}
LG_JOBS=${LG_JOBS:-$(nproc 2>/dev/null || echo 2)}
LG_ONLY=${LG_ONLY:-}
if [ -z "$LG_TOOL" ]; then
    echo "realprogs.sh: set LG_TOOL to the leakgraph command" >&2
    exit 2
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/lg-real.XXXXXX")
RES=$WORK/results
mkdir -p "$RES"
cleanup() {
    if [ "${LG_KEEP:-0}" = 1 ]; then echo "# work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
seq_no=0

# ---- inputs ------------------------------------------------------------------------
setup_python() {
    cat >script.py <<'PY'
import collections
d = {}
for i in range(20000):
    d["key%d" % i] = [i, str(i), {"sq": i * i}]
lists = [list(range(i % 50)) for i in range(5000)]
counts = collections.Counter(len(v) for v in lists)
class Node:
    def __init__(self, parent):
        self.parent = parent
        self.children = []
root = Node(None)
for i in range(1000):
    n = Node(root)
    root.children.append(n)
print(len(d), sum(len(v) for v in lists), counts[7], len(root.children))
PY
}
setup_gcc() {
    cat >hello.c <<'C'
#include <stdio.h>
#include <stdlib.h>
struct item { int key; struct item *next; };
static int sum(const struct item *it) { return it ? it->key + sum(it->next) : 0; }
int main(void)
{
    struct item *head = NULL;
    for (int i = 0; i < 10; i++) {
        struct item *x = malloc(sizeof *x);
        x->key = i;
        x->next = head;
        head = x;
    }
    printf("sum %d\n", sum(head));
    return 0;
}
C
}
setup_sqlite() {
    cat >t.sql <<'SQL'
CREATE TABLE people(id INTEGER PRIMARY KEY, name TEXT, age INTEGER);
INSERT INTO people(name, age) VALUES ('ada', 36), ('brian', 41), ('claude', 29);
WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 500)
INSERT INTO people(name, age) SELECT 'p' || x, x % 90 FROM n;
CREATE INDEX by_age ON people(age);
SELECT name, age FROM people WHERE age > 35 AND name NOT LIKE 'p%' ORDER BY age;
SELECT count(*), sum(age) FROM people;
SQL
}
setup_bash() {
    cat >script.sh <<'SH'
total=0
for i in $(seq 1 200); do
    total=$((total + i))
    words[$i]="w$i"
done
sub=$( (for j in 1 2 3; do echo "sub $j"; done) | wc -l)
echo "total=$total words=${#words[@]} sub=$sub"
( cd / && echo "in subshell: $(pwd)" )
SH
}
setup_make() {
    printf 'all: out.txt\n\t@cat out.txt\nout.txt: in.txt\n\ttr a-z A-Z < in.txt > out.txt\nin.txt:\n\techo hello make > in.txt\n.PHONY: all\n' >Makefile
}
setup_none() { :; }

# ---- one test ----------------------------------------------------------------------
# rp NAME SETUP PREFIX CMD...: PREFIX is "-" or "VAR=value" for the whole invocation
rp() {
    local name=$1 setup=$2 prefix=$3 d=$WORK/$1 reason n
    shift 3
    local envp=(env)
    [ "$prefix" = - ] || envp=(env "$prefix")
    mkdir -p "$d/native" "$d/traced"
    (cd "$d/native" && $setup && lg_exec "$d" native 120 "${envp[@]}" "$@")
    (cd "$d/traced" && $setup && lg_exec "$d" traced 120 "${envp[@]}" "$LG_TOOL" run -- "$@")
    reason=$(lg_same_as_native "$d") || { echo "$reason"; return 1; }
    n=$(grep -c "LEAK SUMMARY" "$d/traced.err")
    [ "$n" -ge 1 ] || { echo "no report on stderr (no LEAK SUMMARY): $(lg_tail "$d/traced.err")"; return 1; }
    if [ "$name" = gcc ]; then
        [ -x "$d/traced/hello" ] && [ "$("$d/traced/hello")" = "sum 45" ] ||
            { echo "the program compiled under the tracer does not work"; return 1; }
    fi
    return 0
}

# rpc NAME SETUP PREFIX EVERY CMD...: incremental collections every EVERY allocations
# (collect_dirty=auto), each compared block by block with a full rescan at the same stop:
# stdout and status as native, no mismatch, and most collections incremental.
rpc() {
    local name=$1 setup=$2 prefix=$3 every=$4 d=$WORK/$1 reason line runs inc
    shift 4
    local envp=(env)
    [ "$prefix" = - ] || envp=(env "$prefix")
    mkdir -p "$d/native" "$d/traced"
    (cd "$d/native" && $setup && lg_exec "$d" native 120 "${envp[@]}" "$@")
    (cd "$d/traced" && $setup && lg_exec "$d" traced 240 "${envp[@]}" \
        LEAKGRAPH_OPTIONS="report=0:collect_every=$every:collect_verify=1" LD_PRELOAD="$LG_LIB" "$@")
    reason=$(lg_same_as_native "$d") || { echo "$reason"; return 1; }
    grep -m3 MISMATCH "$d/traced.err" && return 1
    line=$(grep -E '^leakgraph: collect_verify: [0-9]+ collections' "$d/traced.err" | sort -t' ' -k3 -n | tail -1)
    runs=$(echo "$line" | sed -E 's/.*verify: ([0-9]+) collections.*/\1/')
    inc=$(echo "$line" | sed -E 's/.*\(([0-9]+) incremental\).*/\1/')
    [[ $line == *": 0 mismatches" ]] && [ "${runs:-0}" -ge 10 ] && [ "${inc:-0}" -ge $((runs / 2)) ] ||
        { echo "collections not verified, or too few incremental: ${line:-none}: $(lg_tail "$d/traced.err")"; return 1; }
}

queue() {
    local name=$1
    shift
    [ -z "$LG_ONLY" ] || [[ $name =~ $LG_ONLY ]] || return 0
    seq_no=$((seq_no + 1))
    local out
    out=$(printf '%s/%04d' "$RES" "$seq_no")
    lg_spawn run_one "$out" "$name" "$@"
}
run_one() {
    local out=$1 name=$2 reason
    shift 2
    reason=$("$@" 2>&1)
    if [ $? -eq 0 ]; then lg_ok "$name" >"$out"; else lg_bad "$name" "$(echo "$reason" | tr '\n' ' ' | cut -c1-1500)" >"$out"; fi
}

# have PROG: sets P to PROG's absolute path (the tracer's PATH lookup is tested in
# run.sh; here every program is named by its path), or says it is not installed.
have() {
    P=$(command -v "$1" 2>/dev/null)
    if [ -n "$P" ] && [ -x "$P" ]; then return 0; fi
    echo "$1: not installed"
    return 1
}

if have python3; then
    # pyenv and similar install shims (shell scripts): trace the real interpreter.
    PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
    [ -x "$PY" ] || PY=$P
    queue python3 rp python3 setup_python - "$PY" script.py
    queue python3-pymalloc-off rp python3-pymalloc-off setup_python PYTHONMALLOC=malloc "$PY" script.py
    queue python3-collections rpc python3-collections setup_python PYTHONMALLOC=malloc 20000 "$PY" script.py
fi
if have gcc; then
    queue gcc rp gcc setup_gcc - "$P" -O2 -o hello hello.c
    queue gcc-collections rpc gcc-collections setup_gcc - 500 "$P" -O2 -o hello hello.c
fi
if have sqlite3; then
    queue sqlite3 rp sqlite3 setup_sqlite - "$P" :memory: ".read t.sql"
    queue sqlite3-collections rpc sqlite3-collections setup_sqlite - 50 "$P" :memory: ".read t.sql"
fi
if have git; then
    queue git-version rp git-version setup_none - "$P" --version
    # git init + status in a fresh directory (quiet: the path would differ between runs)
    queue git-init-status rp git-init-status setup_none - /bin/bash -c "'$P' init -q repo && '$P' -C repo status"
fi
if have perl; then
    queue perl rp perl setup_none - "$P" -e 'my %h; $h{"k$_"} = [$_, $_ * 2] for 1 .. 20000; my @k = sort keys %h; print scalar(@k), " $k[0] $k[-1]\n"'
fi
if have bash; then
    queue bash rp bash setup_bash - "$P" script.sh
fi
if have make; then
    # --no-print-directory: under 'make check' MAKELEVEL is set and make would print
    # its (different) working directory in each run.
    queue make rp make setup_make - "$P" --no-print-directory
fi

wait
lg_collect "$RES"/*
lg_summary
