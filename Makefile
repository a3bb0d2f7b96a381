# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# synwall build.  `make` builds everything into build/; `make test` runs the
# whole suite; `make bench` the benchmarks; `make deps` installs what a fresh
# Debian 12 machine lacks (it runs first for every target that needs it).

BUILD      := build
CLANG      ?= clang
BPFTOOL    ?= bpftool
CC         ?= gcc
KERNELS    ?= 6.12 6.1
ARCH       := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
MULTIARCH  := $(shell $(CC) -print-multiarch 2>/dev/null)

BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	      -Iinclude -Ibpf
CFLAGS     ?= -g -O2
CFLAGS     += -Wall -Wextra -Wno-unused-parameter -Iinclude -I$(BUILD)
LDLIBS_BPF := -lbpf -lelf -lz
LDLIBS_XDP := -lxdp $(LDLIBS_BPF)
LDLIBS_CRYPTO := -lcrypto

BPF_SRCS   := $(wildcard bpf/*.h) $(wildcard include/synwall/*.h)
# the BPF objects, each with its skeleton: the full data path, the degraded
# mode's for 6.0-6.8 (XDP only, no kfunc; docs/degraded.md), and the full
# one's kernel function hooks (fentry: the flow table's trusted misses)
BPF_OBJS   := $(BUILD)/synwall.bpf.o $(BUILD)/synwall_compat.bpf.o \
	      $(BUILD)/synwall_hooks.bpf.o
SKELS      := $(BPF_OBJS:.bpf.o=.skel.h)
# the loader: verbs (loader/cmd) on a library of modules (loader/lib),
# an archive that the unit tests link too
LIB_SRC    := $(wildcard loader/lib/*.c)
LIB_HDR    := $(wildcard loader/lib/*.h)
LIB_OBJS   := $(patsubst loader/lib/%.c,$(BUILD)/loader/lib/%.o,$(LIB_SRC))
LIB_A      := $(BUILD)/libsynwall.a
CMD_SRC    := loader/main.c $(wildcard loader/cmd/*.c)
CMD_OBJS   := $(patsubst loader/%.c,$(BUILD)/loader/%.o,$(CMD_SRC))
LOADER_CFLAGS := -Iloader/lib -Iloader/cmd
LOADER_LIBS := $(LIB_A) $(LDLIBS_XDP) $(LDLIBS_CRYPTO)
TEST_LIB   := $(wildcard tests/lib/*.c)
TEST_HDR   := $(wildcard tests/lib/*.h)
TEST_OBJS  := $(patsubst tests/lib/%.c,$(BUILD)/tests/lib/%.o,$(TEST_LIB))
TEST_ARCHIVE := $(BUILD)/tests/libswt.a
# a suite is tests/test_NAME.c, or the files of a directory tests/NAME/
# holding a main.c
TEST_DIRS  := $(patsubst tests/%/main.c,%,$(wildcard tests/*/main.c))
TEST_PROGS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/test_*.c)) \
	      $(patsubst %,$(BUILD)/tests/test_%,$(TEST_DIRS))
BENCH_PROGS:= $(patsubst bench/%.c,$(BUILD)/bench/%,$(filter-out %.bpf.c,$(wildcard bench/*.c)))
E2E_PROGS  := $(BUILD)/e2e/xdp_pass.bpf.o $(BUILD)/e2e/fentry_probe.bpf.o $(BUILD)/e2e/tcpprobe $(BUILD)/e2e/swcookie \
	      $(BUILD)/bench/swb_count.bpf.o $(BUILD)/bench/swb_floor.bpf.o
# BPF programs of the tests themselves (observers loaded by a suite on
# synwall's maps), built against synwall's headers
TEST_BPF   := $(patsubst tests/bpf/%.bpf.c,$(BUILD)/tests/bpf/%.bpf.o,$(wildcard tests/bpf/*.bpf.c))
DEPS_STAMP := $(BUILD)/.deps-ok

.PHONY: all deps vmlinux test vmtest bench demo fuzz soak install clean format \
	bpf-cflags

all: $(BPF_OBJS) $(SKELS) \
     $(BUILD)/synwall $(TEST_PROGS) $(BENCH_PROGS) \
     $(E2E_PROGS) $(TEST_BPF)

deps: $(DEPS_STAMP)

$(DEPS_STAMP): scripts/deps.sh
	@./scripts/deps.sh
	@mkdir -p $(BUILD) && touch $@

# bpf/vmlinux.h is committed (build once, run on every supported kernel);
# `make vmlinux` regenerates it from the running kernel's BTF.
vmlinux: | $(DEPS_STAMP)
	@{ sed -n '1,7p' bpf/vmlinux.h | sed "s/Linux [^ ]* (/Linux $$(uname -r) (/"; \
	   $(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c; } > bpf/vmlinux.h.tmp
	@sed -n '8,$$p' bpf/vmlinux.h.tmp | grep -q 'struct bpf_tcp_req_attrs {' || \
		{ echo "vmlinux: this kernel lacks struct bpf_tcp_req_attrs (6.9+): keep bpf/vmlinux.h" >&2; rm -f bpf/vmlinux.h.tmp; exit 1; }
	@mv bpf/vmlinux.h.tmp bpf/vmlinux.h

$(BPF_OBJS): $(BUILD)/%.bpf.o: bpf/%.bpf.c $(BPF_SRCS) | $(DEPS_STAMP)
	@mkdir -p $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(SKELS): $(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $* > $@.tmp
	@mv $@.tmp $@

$(BUILD)/loader/%.o: loader/%.c $(LIB_HDR) $(wildcard loader/cmd/*.h) \
		    $(SKELS) include/synwall/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LOADER_CFLAGS) -c $< -o $@

$(LIB_A): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/synwall: $(CMD_OBJS) $(LIB_A)
	$(CC) $(CFLAGS) $(CMD_OBJS) -o $@ $(LOADER_LIBS)

# the unit tests of the loader's modules link the archive
$(BUILD)/tests/test_loader_unit $(BUILD)/tests/test_clock: $(LIB_A)
$(BUILD)/tests/test_loader_unit $(BUILD)/tests/test_clock: \
	TEST_LINK = $(LOADER_CFLAGS) $(LOADER_LIBS)

# test_xdp starts the flow table's hooks as the loader does
$(BUILD)/tests/test_xdp: $(LIB_A)
$(BUILD)/tests/test_xdp: TEST_LINK = $(LOADER_CFLAGS) $(LOADER_LIBS)

# tests/lib: compiled once into an archive that every test and bench
# program links
$(BUILD)/tests/lib/%.o: tests/lib/%.c $(TEST_HDR) $(SKELS) include/synwall/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/lib -c $< -o $@

$(TEST_ARCHIVE): $(TEST_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

# a suite of several files: tests/NAME/*.c make build/tests/test_NAME
define TEST_DIR_RULE
$(BUILD)/tests/test_$(1): $(wildcard tests/$(1)/*.c tests/$(1)/*.h) $(TEST_ARCHIVE) $(TEST_HDR) $(SKELS) include/synwall/*.h
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) -Itests/lib -Itests/$(1) $(wildcard tests/$(1)/*.c) $(TEST_ARCHIVE) -o $$@ $$(TEST_LINK) $$(LDLIBS_XDP)
endef
$(foreach d,$(TEST_DIRS),$(eval $(call TEST_DIR_RULE,$(d))))

$(BUILD)/tests/%: tests/%.c $(TEST_ARCHIVE) $(TEST_HDR) $(SKELS) include/synwall/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/lib $< $(TEST_ARCHIVE) -o $@ $(TEST_LINK) $(LDLIBS_XDP)

$(BUILD)/bench/%: bench/%.c $(TEST_ARCHIVE) $(TEST_HDR) $(SKELS) include/synwall/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/lib $< $(TEST_ARCHIVE) -o $@ $(LDLIBS_XDP) -lm

# end-to-end helpers: an XDP_PASS program for the client veth (XDP_TX
# frames reach a veth peer only if it runs XDP), a TCP probe, a cookie tool
$(BUILD)/e2e/%.bpf.o: tests/e2e/%.bpf.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CLANG) -O2 -g -target bpf -I/usr/include/$(MULTIARCH) -c $< -o $@

$(TEST_BPF): $(BUILD)/tests/bpf/%.bpf.o: tests/bpf/%.bpf.c $(BPF_SRCS) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/e2e/tcpprobe: tests/e2e/tcpprobe.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -pthread $< -o $@

$(BUILD)/e2e/swcookie: tests/e2e/swcookie.c include/synwall/cookie.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< -o $@

# bench: an XDP program counting SYN-ACKs/RSTs on the generator's veth,
# and the flood benchmark's floor (swap and XDP_TX)
$(BUILD)/bench/swb_%.bpf.o: bench/swb_%.bpf.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CLANG) -O2 -g -target bpf -I/usr/include/$(MULTIARCH) -c $< -o $@

test: all
	@./tests/run.sh

# the suites inside Debian's own kernels under qemu (tests/vm/run.sh):
# KERNELS="6.12 6.1" (default: both); SUITES selects as tests/run.sh does
vmtest: all
	@KERNELS="$(KERNELS)" ./tests/vm/run.sh $(SUITES)

bench: all
	@./bench/run.sh

# libFuzzer on the real XDP program (tests/fuzz/README.md);
# FUZZ_SECONDS (default 300), FUZZ_JOBS (default 1)
fuzz: all
	@./tests/fuzz/run.sh

# floods + legit clients + key rotation + live config changes
# (tests/soak/soak.sh); SOAK_SECONDS (default 180); not part of `test`
soak: all
	@./tests/soak/soak.sh

# a veth lab under a SYN flood, with live statistics (builds what it needs)
demo:
	@./scripts/demo.sh

PREFIX ?= /usr/local
install: $(BUILD)/synwall
	install -D -m 0755 $(BUILD)/synwall $(DESTDIR)$(PREFIX)/sbin/synwall
	install -D -m 0644 $(BUILD)/synwall.bpf.o $(DESTDIR)$(PREFIX)/lib/synwall/synwall.bpf.o
	install -D -m 0644 $(BUILD)/synwall_compat.bpf.o $(DESTDIR)$(PREFIX)/lib/synwall/synwall_compat.bpf.o
	install -D -m 0644 docs/synwall.8 $(DESTDIR)$(PREFIX)/share/man/man8/synwall.8
	install -D -m 0644 loader/synwall@.service $(DESTDIR)/etc/systemd/system/synwall@.service

clean:
	rm -rf $(BUILD)

# the flags every BPF object is built with (bench/variants.sh adds one)
bpf-cflags:
	@echo $(BPF_CFLAGS)

format:
	clang-format -i bpf/*.c bpf/*.h include/synwall/*.h loader/*.c \
		loader/cmd/*.c loader/cmd/*.h loader/lib/*.c loader/lib/*.h \
		tests/*.c tests/lib/*.[ch] tests/xdp/*.[ch] bench/*.c 2>/dev/null || true
