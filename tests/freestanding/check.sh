#!/usr/bin/env bash
# Freestanding check: the core (formats, algorithms, table API, arena)
# must build with no C library at all. Only the compiler's own headers are
# on the include path, the sources may name no system header beyond
# stdint.h, stddef.h, stdbool.h and limits.h, and the linked core may need
# nothing from outside but the four functions GCC and Clang require of
# every freestanding environment (memcpy, memmove, memset, memcmp).
#
# Usage: check.sh SOURCE_DIR [CC]
set -euo pipefail
src=$(cd "$1" && pwd)
cc=${2:-cc}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$src"

core=(src/core/*.c src/impl/*.c src/fmt/*.c src/mem/arena.c)
headers=(src/port/*.h src/internal/*.h src/algo/*.h src/fmt/*.h
	 include/ptkit.h include/ptkit/*.h include/ptkit/sys/*.h)
passed=0
failed=0

bad=$(grep -HnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<' \
	"${core[@]}" "${headers[@]}" |
	grep -vE '<(stdint|stddef|stdbool|limits)\.h>|<ptkit(/[a-z_/]+)?\.h>' ||
	true)
if [ -n "$bad" ]; then
	echo "FAIL: system headers outside the freestanding set:"
	echo "$bad"
	failed=$((failed + 1))
else
	passed=$((passed + 1))
fi

flags=(-std=c11 -O2 -ffreestanding -nostdinc
	-isystem "$("$cc" -print-file-name=include)"
	-DPTK_FREESTANDING -DPTK_DEBUG=2 -Iinclude -Isrc
	-Wall -Wextra -Wpedantic -Werror -fno-stack-protector)
case "$(uname -m)" in
x86_64) flags+=(-mgeneral-regs-only -mno-red-zone) ;;
esac
objs=()
ok=1
for f in "${core[@]}"; do
	o="$out/$(echo "$f" | tr / _).o"
	if ! "$cc" "${flags[@]}" -c "$f" -o "$o"; then
		echo "FAIL: $f does not compile freestanding"
		ok=0
	fi
	objs+=("$o")
done
if [ $ok = 1 ]; then
	passed=$((passed + 1))
	ld -r -o "$out/core.o" "${objs[@]}"
	undef=$(nm -u "$out/core.o" | awk '{print $2}' |
		grep -vxE 'memcpy|memmove|memset|memcmp' || true)
	if [ -n "$undef" ]; then
		echo "FAIL: the core needs symbols from outside:"
		echo "$undef"
		failed=$((failed + 1))
	else
		passed=$((passed + 1))
	fi
else
	failed=$((failed + 1))
fi
echo "freestanding: $passed passed, $failed failed"
[ $failed = 0 ]
