# C11 threads (tests/progs/c11_threads.c): glibc's thrd_create reaches its pthread_create
# internally, past the interposed one. Such threads once left about 69 KiB of tracer
# buffers each (4000 of them grew the address space by 207 MB) and their pending frees
# never reached glibc. Now: thrd_join returns each thread's int, the address space grows
# by less than 16 MiB between the 1000th and the 4000th thread (4 KiB natively), and the
# block whose only pointer is on a live C11 thread's stack is still reachable.
t_c11_threads() {
    local d=$WORK/c11_threads reason g
    mkdir -p "$d"
    (cd "$d" && lg_exec "$d" native 60 "$LG_PROGS/c11_threads")
    (cd "$d" && lg_exec "$d" traced 120 "$LG_TOOL" run --lib "$LG_LIB" --show-leak-kinds=all \
        --json "$d/rep.json" -- "$LG_PROGS/c11_threads")
    reason=$(lg_same_as_native "$d") || { echo "$reason"; return 1; }
    g=$(sed -n 's/^growth_kib=//p' "$d/traced.err")
    [ -n "$g" ] && [ "$g" -lt 16384 ] || { echo "address space grew by ${g:-?} KiB over 3000 threads"; return 1; }
    python3 - "$d/rep.json" <<'PY' || return 1
import json, sys
leaks = json.load(open(sys.argv[1]))["leaks"]
held = [l for l in leaks if l["bytes"] == 64 and l["stack"] and l["stack"][0].get("function") == "holder"]
# (the holder thread's TLS block from glibc's calloc is possibly lost, as in Valgrind)
lost = [l for l in leaks if l["kind"] in ("definitely_lost", "indirectly_lost")]
if len(held) != 1 or held[0]["kind"] != "still_reachable":
    print("the holder thread's block:", [(l["kind"], l["bytes"]) for l in held])
    sys.exit(1)
if lost:
    print("lost:", [(l["kind"], l["bytes"]) for l in lost])
    sys.exit(1)
PY
}
queue c11_threads t_c11_threads
