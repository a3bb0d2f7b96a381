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
CFLAGS     += -Wall -Wextra -Wno-unused-parameter -Iinclude -I$(BUILD) -Iloader
LDLIBS_BPF := -lbpf -lelf -lz
LDLIBS_XDP := -lxdp $(LDLIBS_BPF)

BPF_SRCS   := $(wildcard bpf/*.h) $(wildcard include/synwall/*.h)
LOADER_SRC := $(wildcard loader/*.c)
LOADER_HDR := $(wildcard loader/*.h)
TEST_LIB   := $(wildcard tests/lib/*.c)
TEST_HDR   := $(wildcard tests/lib/*.h)
TEST_PROGS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/test_*.c))
BENCH_PROGS:= $(patsubst bench/%.c,$(BUILD)/bench/%,$(filter-out %.bpf.c,$(wildcard bench/*.c)))
E2E_PROGS  := $(BUILD)/e2e/xdp_pass.bpf.o $(BUILD)/e2e/tcpprobe $(BUILD)/e2e/swcookie \
	      $(BUILD)/bench/swb_count.bpf.o
DEPS_STAMP := $(BUILD)/.deps-ok

.PHONY: all deps vmlinux test vmtest bench demo fuzz soak install clean format

all: $(BUILD)/synwall.bpf.o $(BUILD)/synwall.skel.h \
     $(BUILD)/synwall_compat.bpf.o $(BUILD)/synwall_compat.skel.h \
     $(if $(LOADER_SRC),$(BUILD)/synwall) $(TEST_PROGS) $(BENCH_PROGS) \
     $(E2E_PROGS)

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

$(BUILD)/synwall.bpf.o: bpf/synwall.bpf.c $(BPF_SRCS) | $(DEPS_STAMP)
	@mkdir -p $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/synwall.skel.h: $(BUILD)/synwall.bpf.o
	$(BPFTOOL) gen skeleton $< name synwall > $@.tmp
	@mv $@.tmp $@

# degraded mode (docs/degraded.md): XDP only, no kfunc, loads on 6.0+
$(BUILD)/synwall_compat.bpf.o: bpf/synwall_compat.bpf.c $(BPF_SRCS) | $(DEPS_STAMP)
	@mkdir -p $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/synwall_compat.skel.h: $(BUILD)/synwall_compat.bpf.o
	$(BPFTOOL) gen skeleton $< name synwall_compat > $@.tmp
	@mv $@.tmp $@

$(BUILD)/synwall: $(LOADER_SRC) $(LOADER_HDR) $(BUILD)/synwall.skel.h \
		 $(BUILD)/synwall_compat.skel.h include/synwall/*.h
	$(CC) $(CFLAGS) $(LOADER_SRC) -o $@ $(LDLIBS_XDP)

$(BUILD)/tests/%: tests/%.c $(TEST_LIB) $(TEST_HDR) $(BUILD)/synwall.skel.h \
		 $(BUILD)/synwall_compat.skel.h include/synwall/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/lib $< $(TEST_LIB) -o $@ $(LDLIBS_XDP)

$(BUILD)/bench/%: bench/%.c $(TEST_LIB) $(TEST_HDR) $(BUILD)/synwall.skel.h include/synwall/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/lib $< $(TEST_LIB) -o $@ $(LDLIBS_XDP) -lm

# end-to-end helpers: an XDP_PASS program for the client veth (XDP_TX
# frames reach a veth peer only if it runs XDP), a TCP probe, a cookie tool
$(BUILD)/e2e/xdp_pass.bpf.o: tests/e2e/xdp_pass.bpf.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CLANG) -O2 -g -target bpf -I/usr/include/$(MULTIARCH) -c $< -o $@

$(BUILD)/e2e/tcpprobe: tests/e2e/tcpprobe.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -pthread $< -o $@

$(BUILD)/e2e/swcookie: tests/e2e/swcookie.c include/synwall/cookie.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< -o $@

# bench: an XDP program counting SYN-ACKs/RSTs on the generator's veth
$(BUILD)/bench/swb_count.bpf.o: bench/swb_count.bpf.c | $(DEPS_STAMP)
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

format:
	clang-format -i bpf/*.c bpf/*.h include/synwall/*.h loader/*.c loader/*.h \
		tests/*.c tests/lib/*.c tests/lib/*.h bench/*.c 2>/dev/null || true
