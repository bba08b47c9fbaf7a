#!/usr/bin/env bash
# Runs the libFuzzer targets built by `make fuzz`, each for a bounded time,
# from its seed corpus (tests/fuzz/corpus/T) and dictionary
# (tests/fuzz/dict/T.dict), and prints each target's executions and
# coverage. Exits 1 when any target crashed, leaked, timed out or broke a
# property; the reproducer is kept and its path printed (add it under
# tests/fuzz/regress/T/ once fixed, so that `make check` replays it).
#
#   tests/fuzz/run.sh [-t SECONDS] [-n RUNS] [-j JOBS] [-k DIR] [TARGET...]
#
# -t: seconds per target (default 20); -n: stop a target after RUNS
# executions even before its time is up; -k: keep each target's grown
# corpus in DIR/T instead of a temporary directory; -j: targets at a time
# (default 1).
# Run from the build directory; sources are found next to this script.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
secs=20
runs=-1
keep=
jobs=1
while getopts t:n:k:j: o; do
	case $o in
	t) secs=$OPTARG ;;
	n) runs=$OPTARG ;;
	k) keep=$OPTARG ;;
	j) jobs=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(http1 dns control keyfile config parsers jsonpool)

work=$(mktemp -d "${TMPDIR:-/tmp}/mp-fuzz-run.XXXXXX")
trap 'rm -rf "$work"' EXIT

run_one() {
	local t=$1 bin=tests/fuzz/fuzz-$1 corpus log
	if [ ! -x "$bin" ]; then
		echo "fuzz $t: $bin is not built (make fuzz)"
		return 1
	fi
	if [ -n "$keep" ]; then
		corpus=$keep/$t
	else
		corpus=$work/corpus-$t
	fi
	mkdir -p "$corpus" "$work/crash-$t"
	log=$work/$t.log
	# nice: the machine is shared with the rest of the suite
	nice -n 19 "$bin" -max_total_time="$secs" -runs="$runs" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-dict="$here/dict/$t.dict" \
		-artifact_prefix="$work/crash-$t/" \
		"$corpus" "$here/corpus/$t" >"$log" 2>&1
	local rc=$?
	local execs rate cov ft units
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
	ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
	units=$(grep -oE 'corp: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
	printf 'fuzz %-8s %s s: %s executions (%s/s), coverage %s edges, %s features, corpus %s\n' \
		"$t" "$secs" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${units:-?}"
	if [ $rc -ne 0 ]; then
		echo "fuzz $t: FAILED (exit $rc)"
		grep -E 'ERROR|SUMMARY|property broken|Test unit written' "$log" | head -20
		for f in "$work/crash-$t"/*; do
			[ -f "$f" ] || continue
			mkdir -p tests/fuzz/found
			cp "$f" "tests/fuzz/found/$t-$(basename "$f")"
			echo "fuzz $t: reproducer kept in tests/fuzz/found/$t-$(basename "$f")"
		done
		return 1
	fi
	return 0
}

fail=0
pids=()
for t in "${targets[@]}"; do
	if [ "$jobs" -gt 1 ]; then
		run_one "$t" >"$work/$t.out" 2>&1 &
		pids+=($!)
		if [ ${#pids[@]} -ge "$jobs" ]; then
			wait "${pids[0]}" || fail=1
			pids=("${pids[@]:1}")
		fi
	else
		run_one "$t" || fail=1
	fi
done
for p in "${pids[@]}"; do wait "$p" || fail=1; done
if [ "$jobs" -gt 1 ]; then
	for t in "${targets[@]}"; do cat "$work/$t.out"; done
fi
[ $fail -eq 0 ] && echo "fuzz: ${#targets[@]} targets, no crash" || echo "fuzz: FAILED"
exit $fail
