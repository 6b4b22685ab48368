#!/usr/bin/env bash
# check.sh BUILD_DIR: install a built ptkit tree into a temporary prefix,
# check what was installed, then build and run this directory's consumer
# four ways: pkg-config and find_package(ptkit), each against the shared
# and the static library. Run by .ci/run on the release build.
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
cc=${CC:-cc}

fail() { echo "consumer: FAIL: $*"; exit 1; }

cmake --install "$build" --prefix "$prefix" >"$work/install.log"
libdir=$(sed -n 's/^libdir=//p' "$prefix"/lib*/pkgconfig/ptkit.pc | head -1)
libdir=${libdir/\$\{prefix\}/$prefix}
for f in include/ptkit.h include/ptkit/table.h include/ptkit/sys/impl.h \
	bin/ptkit share/man/man1/ptkit.1; do
	[ -e "$prefix/$f" ] || fail "not installed: $f"
done
[ -e "$libdir/libptkit.a" ] || fail "no libptkit.a in $libdir"
soname=$(objdump -p "$libdir/libptkit.so" | awk '/SONAME/ {print $2}')
[ -n "$soname" ] && [ -e "$libdir/$soname" ] || fail "no SONAME link ($soname)"
echo "consumer: installed; shared library $soname"
# Only the public API is exported: ptk_ names, none of the engine's
# ptk_x__y internals.
bad=$(nm -D --defined-only "$libdir/libptkit.so" | awk 'NF == 3 {print $3}' |
	grep -v '^ptk_' | grep -v '^PTKIT_' || true)
[ -z "$bad" ] || fail "exports non-API symbols: $bad"
if nm -D --defined-only "$libdir/libptkit.so" | grep '__' >/dev/null; then
	fail "exports internal ptk_x__y symbols"
fi
# The library's calls to its own functions are direct (-Bsymbolic-functions),
# not through the PLT.
if objdump -d "$libdir/libptkit.so" | grep 'call.*<ptk_[a-z0-9_]*@plt>' >/dev/null; then
	fail "libptkit.so calls its own functions through the PLT"
fi
"$prefix/bin/ptkit" --version >/dev/null || fail "installed ptkit does not run"
if command -v man >/dev/null; then
	MANWIDTH=80 man -l "$prefix/share/man/man1/ptkit.1" 2>&1 |
		grep 'ptkit dump' >/dev/null || fail "man page does not render"
fi

run() { # how, binary, expect shared (1) or static (0)
	out=$(LD_LIBRARY_PATH="$libdir" "$2") || fail "$1: consumer failed"
	case "$out" in "consumer: ptkit "*" ok") ;; *) fail "$1: said '$out'" ;; esac
	# (no grep -q on a pipe: with pipefail, ldd's SIGPIPE would count)
	LD_LIBRARY_PATH="$libdir" ldd "$2" >"$work/ldd"
	if grep 'libptkit\.so' "$work/ldd" >/dev/null; then linked=1; else linked=0; fi
	[ "$linked" = "$3" ] || fail "$1: linked shared=$linked, wanted $3"
	if [ "$3" = 1 ]; then
		grep "$libdir/$soname" "$work/ldd" >/dev/null ||
			fail "$1: not linked to $libdir/$soname"
	fi
	# -O2: the header's inline ptk_translate() must not become a call.
	if nm "$2" | grep ' U ptk_translate$' >/dev/null; then
		fail "$1: ptk_translate was not inlined"
	fi
	echo "consumer: $1: $out"
}

export PKG_CONFIG_PATH="$libdir/pkgconfig"
pkg-config --exists --print-errors 'ptkit >= 0.1' || fail "pkg-config"
# shellcheck disable=SC2046
$cc -std=c11 -O2 -Wall -Werror -o "$work/pc_shared" "$here/consumer.c" \
	$(pkg-config --cflags --libs ptkit)
run "pkg-config, shared" "$work/pc_shared" 1
# shellcheck disable=SC2046
$cc -std=c11 -O2 -Wall -Werror -o "$work/pc_static" "$here/consumer.c" \
	$(pkg-config --cflags ptkit) -Wl,-Bstatic $(pkg-config --static --libs ptkit) \
	-Wl,-Bdynamic
run "pkg-config, static" "$work/pc_static" 0

for kind in shared static; do
	static=OFF
	[ $kind = static ] && static=ON
	cmake -S "$here" -B "$work/fp_$kind" -DCMAKE_BUILD_TYPE=Release \
		-DCMAKE_PREFIX_PATH="$prefix" -DPTKIT_USE_STATIC_LIBS=$static \
		-DCMAKE_C_COMPILER="$cc" >"$work/fp_$kind.log" 2>&1 ||
		{ cat "$work/fp_$kind.log"; fail "find_package, $kind: configure"; }
	cmake --build "$work/fp_$kind" >>"$work/fp_$kind.log" 2>&1 ||
		{ cat "$work/fp_$kind.log"; fail "find_package, $kind: build"; }
	want=1
	[ $kind = static ] && want=0
	run "find_package, $kind" "$work/fp_$kind/consumer" $want
done
echo "consumer: 4 passed, 0 failed"
