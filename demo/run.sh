#!/usr/bin/env bash
# The mirrorpool demo on a fresh Debian 12 machine (as root, in a checkout):
# installs the dependencies, builds mirrorpoold and mirrorpoolctl out of
# tree in build/demo (or reuses an existing build), then runs demo/demo.py:
# a throwaway BIND primary, three HTTP mirrors and the agent on loopback,
# through a failure, a recovery and a drain. Cleans up after itself; exits
# non-zero when a step does not do what it shows.
#
#   bash demo/run.sh [--pause SECONDS]
#
# MP_SKIP_INSTALL=1 skips the package check.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

[ "${MP_SKIP_INSTALL:-0}" = 1 ] || bash scripts/install-deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
[ "$jobs" -gt 2 ] && jobs=2

if [ -f config.status ]; then
	# configured in the source tree (as tests/run.sh does): automake
	# refuses a second, out-of-tree build, so use this one
	builddir=$top
	where="the source tree (configured there)"
else
	builddir=$top/build/demo
	where=build/demo
	[ -x configure ] || ./autogen.sh >/dev/null 2>&1 || ./autogen.sh
	if [ ! -f "$builddir/config.status" ]; then
		mkdir -p "$builddir"
		(cd "$builddir" && "$top/configure" -q)
	fi
fi

echo "==> building mirrorpoold and mirrorpoolctl in $where"
buildlog=$(mktemp /tmp/mirrorpool-demo-build.XXXXXX)
if ! make -C "$builddir" -j"$jobs" agent/mirrorpoold agent/mirrorpoolctl \
	>"$buildlog" 2>&1; then
	tail -50 "$buildlog" >&2
	rm -f "$buildlog"
	echo "build failed (the last 50 lines of its output are above)" >&2
	exit 1
fi
rm -f "$buildlog"
echo

# exec: signals (Ctrl-C, SIGTERM) reach the demo, which cleans up
exec python3 demo/demo.py --builddir "$builddir" "$@"
