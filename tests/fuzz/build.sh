#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Build the libFuzzer target build/fuzz/fuzz_xdp (clang -fsanitize=fuzzer
# with ASan and UBSan on the user-space oracle) and the seed writer.
# Needs `make` to have built build/synwall.skel.h, and libFuzzer's runtime
# (Debian 12: libclang-rt-dev -> libclang-rt-14-dev, which clang only
# recommends): installed here if missing, as scripts/deps.sh does.
set -euo pipefail
cd "$(dirname "$0")/../.."

CLANG=${CLANG:-clang}
OUT=build/fuzz
rt=$("$CLANG" --print-runtime-dir 2>/dev/null || true)
if [ ! -e "$rt/libclang_rt.fuzzer-$(uname -m).a" ]; then
	echo "fuzz: libFuzzer runtime missing ($rt/libclang_rt.fuzzer-$(uname -m).a): installing libclang-rt-dev"
	SUDO=
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends libclang-rt-dev
fi
[ -f build/synwall.skel.h ] || make build/synwall.skel.h
mkdir -p "$OUT"
src=(tests/fuzz/fuzz_xdp.c tests/lib/*.c)
if [ ! -x "$OUT/fuzz_xdp" ] || [ -n "$(find "${src[@]}" tests/lib/*.h include/synwall build/synwall.skel.h \
	-newer "$OUT/fuzz_xdp" 2>/dev/null | head -1)" ]; then
	echo "fuzz: building $OUT/fuzz_xdp"
	# -Wno-unknown-pragmas: cookie.h's "#pragma unroll" is for the BPF build
	"$CLANG" -g -O1 -fno-omit-frame-pointer \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-Wall -Wno-unknown-pragmas -Iinclude -Ibuild -Itests/lib \
		"${src[@]}" -o "$OUT/fuzz_xdp.tmp" -lxdp -lbpf -lelf -lz
	mv "$OUT/fuzz_xdp.tmp" "$OUT/fuzz_xdp"
fi
# the seed writer is the bounded pass (a plain test program)
[ -x build/tests/test_fuzz_pass ] && [ build/tests/test_fuzz_pass -nt tests/lib/fc_judge.c ] ||
	make build/tests/test_fuzz_pass
