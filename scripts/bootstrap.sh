#!/usr/bin/env bash
# Install what ptkit needs on Debian (cmake, ninja, a C compiler; no C++) and make
# an optimised build in build/release. Uses sudo when not run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pkg in cmake ninja-build gcc make python3; do
	dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
	sudo=""
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${need[@]}"
fi

cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release \
	-DPTK_DEBUG=1 -DPTK_BUILD_TESTS=OFF >/dev/null
cmake --build build/release
