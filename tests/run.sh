#!/usr/bin/env bash
# The whole mirrorpool test suite on a fresh Debian 12 machine (as root):
# installs the build and test dependencies, checks the sources' formatting
# and banned calls, builds with ASan+UBSan, runs the
# unit and integration tests, each fuzz target for 18 s, the unit tests
# again under valgrind, and `make distcheck`. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

step() { printf '\n==> %s\n' "$*"; }

[ "${MP_SKIP_INSTALL:-0}" = 1 ] || bash scripts/install-deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
[ "$jobs" -gt 2 ] && jobs=2

step "source checks: formatting, banned calls, no I/O in lib/"
bash scripts/lint.sh

step "build with AddressSanitizer and UndefinedBehaviorSanitizer"
./autogen.sh >/dev/null 2>&1 || ./autogen.sh
./configure --enable-sanitizers -q
make -j"$jobs"

step "make check (unit and integration tests)"
rc=0
make -j"$jobs" check || rc=$?
# Show every test's own output: the CUnit summaries and integration logs.
for log in $(find tests -name '*.log' ! -name test-suite.log | sort); do
	printf '\n--- %s\n' "$log"
	cat "$log"
done
cat test-suite.log 2>/dev/null | sed -n '1,/^\.\. contents/p'
[ $rc -eq 0 ] || { echo "make check failed" >&2; exit $rc; }
# Counted now: the valgrind build below cleans the tree.
pass_asan=$(awk '/^# PASS:/ {print $3}' test-suite.log)
total=$(awk '/^# TOTAL:/ {print $3}' test-suite.log)
fail_asan=$(awk '/^# FAIL:/ {print $3}' test-suite.log)

step "fuzzing: each libFuzzer target for a bounded time (docs/fuzzing.md)"
# Built by clang beside the ASan build; a crash, leak or broken property
# fails the suite, and its reproducer is left in tests/fuzz/found/.
make -j"$jobs" fuzz
bash tests/fuzz/run.sh -t "${MP_FUZZ_SECONDS:-18}"

step "soak: the ASan+UBSan daemon under chaos for ${MP_SOAK_SECONDS:-180} s"
# Its own step, not in make check (distcheck would repeat it):
# tests/soak/soak.py; MP_SOAK_SECONDS sets the length.
python3 tests/soak/soak.py

step "unit tests under valgrind (a build without sanitizers)"
./configure -q
make -j"$jobs" clean >/dev/null
make -j"$jobs" >/dev/null
make check-valgrind

step "make distcheck"
# MP_QUICK=1: the long integration tests (the interoperability matrix, the
# soak) already ran above; inside distcheck they skip (exit 77).
MP_QUICK=1 make -j"$jobs" distcheck >/tmp/mirrorpool-distcheck.log 2>&1 || {
	tail -60 /tmp/mirrorpool-distcheck.log
	# the logs of the tests that failed inside the distcheck build
	find mirrorpool-*/_build -name '*.log' ! -name test-suite.log \
		-exec grep -l -E '^(FAIL|ERROR)' {} + 2>/dev/null |
		while read -r log; do printf '\n--- %s\n' "$log"; cat "$log"; done
	exit 1
}
grep -E '^(=+|mirrorpool-.* archives ready)' /tmp/mirrorpool-distcheck.log | tail -3

step "Debian package: build from the release tarball, lintian, install, purge"
# From the tarball distcheck just made, in a scratch directory: the tree's
# own build is not touched. The package is purged and the machine left as
# it was.
bash tests/package.sh mirrorpool-"$(sed -n 's/^AC_INIT(\[mirrorpool\], \[\([^]]*\)\].*/\1/p' configure.ac)".tar.gz

echo
echo "all checks passed: ${pass_asan:-0} of ${total:-0} test programs under ASan+UBSan, valgrind clean, distcheck ok, package ok"
echo "${pass_asan:-0} passed, ${fail_asan:-0} failed"
