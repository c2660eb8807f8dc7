# leakgraph: one plain Makefile. `make` builds the preload library and the command,
# `make demo` traces a bundled example, `make check` runs every test. Both install
# missing Debian packages first (as root), or print the apt-get line to run.
VERSION := 0.1.0
PREFIX ?= /usr/local
DESTDIR ?=
B := build

CC ?= gcc
CFLAGS ?= -O2 -g
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -DLG_VERSION='"$(VERSION)"'
# The runtime lives inside other programs: hidden symbols, initial-exec TLS (no
# __tls_get_addr, which may allocate), frame pointers for the fast unwinder.
RT_CFLAGS := $(BASE_CFLAGS) -fPIC -fvisibility=hidden -ftls-model=initial-exec -fno-omit-frame-pointer -Isrc
TOOL_CFLAGS := $(BASE_CFLAGS) -Itools
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

RT_SRCS := $(wildcard src/*.c)
RT_OBJS := $(RT_SRCS:src/%.c=$(B)/rt/%.o)
RT_LIBS := -lunwind -ldl -lpthread
TOOL_SRCS := $(wildcard tools/*.c)
TOOL_OBJS := $(TOOL_SRCS:tools/%.c=$(B)/tool/%.o)
TOOL_SAN_OBJS := $(TOOL_SRCS:tools/%.c=$(B)/tool-san/%.o)
TOOL_LIBS := -ldw -lelf -lm
PROGS_C := $(wildcard tests/progs/*.c)
PROGS_CXX := $(wildcard tests/progs/*.cc)
PROGS := $(PROGS_C:tests/progs/%.c=$(B)/progs/%) $(PROGS_CXX:tests/progs/%.cc=$(B)/progs/%)

LIB := $(B)/libleakgraph.so
HOOKS_LIB := $(B)/libleakgraph_hooks.so
TOOL := $(B)/leakgraph
TOOL_SAN := $(B)/leakgraph-san

# ---- dependencies (Debian packages) ----
DEB_PKGS := gcc g++ libc6-dev make pkg-config libunwind-dev uthash-dev libcriterion-dev libdw-dev libelf-dev \
            clang libclang-rt-dev valgrind python3 graphviz python3-jsonschema python3-junitparser
DEPS_STAMP := $(B)/.deps-ok

.PHONY: all deps check demo install clean unit e2e fuzz bench bench-pause bench-collect bench-realprog bench-luamacro bench-storework docs-check realprogs
all: $(LIB) $(TOOL) $(HOOKS_LIB) $(B)/leakgraph-clang.pc $(B)/leakgraph-gcc.pc

$(DEPS_STAMP):
	@mkdir -p $(B)
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "leakgraph: installing missing packages:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) >$(B)/apt.log 2>&1 \
	      || { cat $(B)/apt.log; echo "leakgraph: apt-get failed; see above"; exit 1; }; \
	  else \
	    echo "leakgraph: missing build dependencies. Run:"; \
	    echo "  sudo apt-get install$$missing"; exit 1; \
	  fi; \
	fi
	@touch $@
deps: $(DEPS_STAMP)

# ---- runtime: libleakgraph.so ----
$(B)/rt/%.o: src/%.c $(DEPS_STAMP) $(wildcard src/*.h include/leakgraph/*)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(RT_CFLAGS) -c $< -o $@

$(LIB): $(RT_OBJS) src/exports.map
	$(CC) $(CFLAGS) -shared -o $@ $(RT_OBJS) -Wl,--version-script=src/exports.map -Wl,-z,now $(RT_LIBS)

# The no-op store hooks that instrumented programs link (see `leakgraph cflags`).
$(HOOKS_LIB): src/stubs/hooks_stub.c $(DEPS_STAMP)
	$(CC) $(CFLAGS) $(BASE_CFLAGS) -fPIC -shared -fvisibility=hidden -o $@ $<
# pkg-config files for the two instrumentation routes; `make install` rewrites the prefix.
$(B)/leakgraph-%.pc: $(TOOL) $(HOOKS_LIB)
	printf 'prefix=%s\nlibdir=$${prefix}/lib\nincludedir=$${prefix}/include\n\nName: leakgraph-%s\nDescription: stores instrumented for leakgraph incremental collections (%s)\nVersion: $(VERSION)\nCflags: -I$${includedir} %s\nLibs: -L$${libdir} -Wl,-rpath,$${libdir} -lleakgraph_hooks\n' \
	  "$(PREFIX)" $* $* "$$($(TOOL) cflags --compile $*)" >$@

# ---- the leakgraph command (plain, and with ASan+UBSan for the tests) ----
$(B)/tool/%.o: tools/%.c $(DEPS_STAMP) $(wildcard tools/*.h include/leakgraph/*)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TOOL_CFLAGS) -c $< -o $@
$(B)/tool-san/%.o: tools/%.c $(DEPS_STAMP) $(wildcard tools/*.h include/leakgraph/*)
	@mkdir -p $(dir $@)
	$(CC) -O1 -g $(TOOL_CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(TOOL): $(TOOL_OBJS)
	$(CC) $(CFLAGS) -o $@ $(TOOL_OBJS) $(TOOL_LIBS)
$(TOOL_SAN): $(TOOL_SAN_OBJS)
	$(CC) -O1 -g $(SAN_FLAGS) -o $@ $(TOOL_SAN_OBJS) $(TOOL_LIBS)

# ---- victim programs: -O0 so the compiler keeps every allocation ----
$(B)/progs/%: tests/progs/%.c $(wildcard tests/progs/*.h) $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) -O0 -g -fno-omit-frame-pointer -fno-builtin -Iinclude -o $@ $< -ldl -lpthread $(shell sed -n 's/^.*LDLIBS: *//p' $<)
$(B)/progs/%: tests/progs/%.cc $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	g++ -O0 -g -fno-omit-frame-pointer -o $@ $< -ldl -lpthread
$(B)/progs/libdlvictim.so: tests/progs/dlvictim_lib.c.in $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) -O0 -g -shared -fPIC -x c -o $@ $<

# Victims with instrumented stores, built as `leakgraph cflags` says (incremental collections).
INSTR_PROGS := $(foreach p,collect_api collect_mutator collect_rewire collect_interior collect_edges collect_hugerow garbage_into_heap,$(B)/progs/$(p)-gcc $(B)/progs/$(p)-clang)
$(B)/progs/%-gcc: tests/progs/%.c $(TOOL) $(HOOKS_LIB)
	gcc -O1 -g -fno-omit-frame-pointer $$($(TOOL) cflags gcc) -o $@ $< -lpthread
$(B)/progs/%-clang: tests/progs/%.c $(TOOL) $(HOOKS_LIB)
	clang -O1 -g -fno-omit-frame-pointer $$($(TOOL) cflags clang) -o $@ $< -lpthread

# ---- tests ----
UNIT_RT_SRCS := $(wildcard tests/unit/test_rt_*.c)
UNIT_TOOL_SRCS := $(wildcard tests/unit/test_tool_*.c)
# Runtime unit tests link the runtime's modules but never interpose.o/init.o/storehooks.o: the
# Criterion runner must not trace itself.
# Nor storehooks.o: it defines memcpy and friends.
RT_TESTABLE := $(filter-out $(B)/rt/interpose.o $(B)/rt/init.o $(B)/rt/storehooks.o,$(RT_OBJS))
$(B)/unit-rt: $(UNIT_RT_SRCS) $(RT_OBJS) $(B)/rt/testshim.o
	$(CC) $(CFLAGS) $(RT_CFLAGS) -o $@ $(UNIT_RT_SRCS) $(RT_TESTABLE) $(B)/rt/testshim.o -lcriterion $(RT_LIBS)
$(B)/rt/testshim.o: tests/unit/testshim.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(RT_CFLAGS) -c $< -o $@
$(B)/unit-tool: $(UNIT_TOOL_SRCS) $(TOOL_SAN_OBJS)
	$(CC) -O1 -g $(TOOL_CFLAGS) $(SAN_FLAGS) -o $@ $(UNIT_TOOL_SRCS) $(filter-out $(B)/tool-san/main.o,$(TOOL_SAN_OBJS)) -lcriterion $(TOOL_LIBS)

unit: $(B)/unit-rt $(B)/unit-tool
	$(B)/unit-rt --jobs 2
	ASAN_OPTIONS=detect_leaks=1 $(B)/unit-tool --jobs 2

SARIF_SCHEMA := $(B)/deps/sarif-2.1.0-rtm.5.json
SARIF_NPM := @microsoft/jest-sarif@1.0.0-beta.0
SARIF_SHA256 := 2d99159ae54a3eea97f81781cff48780548657c35949f4b7f25e99a2ba4de4f8
e2e: all $(TOOL_SAN) $(PROGS) $(INSTR_PROGS) $(B)/progs/libdlvictim.so $(SARIF_SCHEMA)
	LG_LIB=$(abspath $(LIB)) LG_TOOL=$(abspath $(TOOL)) LG_TOOL_SAN=$(abspath $(TOOL_SAN)) \
	  LG_PROGS=$(abspath $(B)/progs) LG_SARIF_SCHEMA=$(abspath $(SARIF_SCHEMA)) bash tests/e2e/run.sh

# The official SARIF 2.1.0 JSON schema (sarif-2.1.0-rtm.5, as published by SchemaStore),
# for validating check --sarif: no Debian package ships it, so it comes from the npm
# registry, in Microsoft's @microsoft/jest-sarif package, pinned by checksum.
$(SARIF_SCHEMA): $(DEPS_STAMP)
	@mkdir -p $(B)/deps/npm
	@command -v npm >/dev/null || [ "$$(id -u)" != 0 ] || \
	  (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm) >$(B)/apt-npm.log 2>&1 || cat $(B)/apt-npm.log
	@command -v npm >/dev/null || { echo "leakgraph: npm is needed to fetch the SARIF schema for the tests: sudo apt-get install npm"; exit 1; }
	@cd $(B)/deps/npm && rm -rf package *.tgz && npm pack --silent $(SARIF_NPM) >/dev/null \
	  || { echo "leakgraph: cannot fetch $(SARIF_NPM) from the npm registry (the SARIF schema of the check tests)"; exit 1; }
	@cd $(B)/deps/npm && tar xzf *.tgz package/lib/schemas/sarif-2.1.0-rtm.5.json
	@echo "$(SARIF_SHA256)  $(B)/deps/npm/package/lib/schemas/sarif-2.1.0-rtm.5.json" | sha256sum -c --quiet \
	  || { echo "leakgraph: the SARIF schema from $(SARIF_NPM) is not the expected file"; exit 1; }
	@cp $(B)/deps/npm/package/lib/schemas/sarif-2.1.0-rtm.5.json $@

fuzz: $(DEPS_STAMP)
	bash tests/fuzz/run.sh $(B)/fuzz

docs-check: all
	bash tests/check_docs.sh $(LIB)

realprogs: all
	LG_LIB=$(abspath $(LIB)) LG_TOOL=$(abspath $(TOOL)) bash tests/e2e/realprogs.sh

check: all
	$(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory docs-check
	$(MAKE) --no-print-directory e2e
	$(MAKE) --no-print-directory realprogs
	$(MAKE) --no-print-directory fuzz

# ---- demo: trace the bundled example ----
$(B)/demo: tests/progs/demo.c $(DEPS_STAMP)
	@mkdir -p $(B)
	$(CC) -O0 -g -o $@ $<
demo: all $(B)/demo
	@echo "== leakgraph run -- $(B)/demo"
	-$(TOOL) run -- ./$(B)/demo

bench: all
	bash bench/run.sh
bench-collect: all
	bash bench/collect.sh
# needs npm (fetches the SQLite sources once) and clang
bench-realprog: all
	bash bench/realprog.sh
bench-luamacro: all
	bash bench/luamacro.sh
bench-storework: all
	bash bench/storework.sh
bench-pause: all
	LG_LIB=$(LIB) bash bench/pause.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include/leakgraph \
	  $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man3 $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 755 $(LIB) $(HOOKS_LIB) $(DESTDIR)$(PREFIX)/lib/
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 $(B)/leakgraph-clang.pc $(B)/leakgraph-gcc.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -m 755 $(TOOL) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 include/leakgraph.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 include/leakgraph/format.h include/leakgraph/journal.h include/leakgraph/options.def $(DESTDIR)$(PREFIX)/include/leakgraph/
	install -m 644 man/leakgraph.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 man/libleakgraph.3 $(DESTDIR)$(PREFIX)/share/man/man3/
	install -m 644 man/leakgraph-snapshot.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 644 man/leakgraph-journal.5 $(DESTDIR)$(PREFIX)/share/man/man5/

clean:
	rm -rf $(B)
