#!/usr/bin/env bash
# Source checks that need no build: formatting against .clang-format, calls
# the project bans, and I/O headers in lib/ (the core does no I/O). Prints
# every violation and exits 1 if there is any.
set -uo pipefail
cd "$(dirname "$0")/.."
fail=0

files=$(git ls-files '*.c' '*.h' 2>/dev/null || find lib agent tests bench -name '*.[ch]')

# 1. Formatting: the repository's .clang-format, applied to every C file.
if ! command -v clang-format >/dev/null 2>&1; then
	echo "lint: clang-format is not installed (apt-get install clang-format)" >&2
	exit 1
fi
for f in $files; do
	[ -f "$f" ] || continue
	if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
		echo "lint: $f: differs from .clang-format (run: clang-format -i $f)"
		clang-format --dry-run "$f" 2>&1 | head -6 | sed 's/^/    /'
		fail=1
	fi
done

# 2. Banned calls: unbounded or unchecked C library functions.
banned='\b(sprintf|vsprintf|strcpy|strcat|atoi|atol|atoll|strtok|gets)[[:space:]]*\('
for f in $files; do
	[ -f "$f" ] || continue
	# comments and string literals do not call anything
	hits=$(sed -e 's://.*$::' -e 's:"[^"]*"::g' "$f" |
		grep -nE "$banned" | grep -vE '\b(snprintf|vsnprintf)\b' || true)
	if [ -n "$hits" ]; then
		echo "$hits" | sed "s|^|lint: $f:|; s|\$| (banned: use snprintf, a bounded copy, strtol with checks or strtok_r)|"
		fail=1
	fi
done

# 3. lib/ does no I/O: no event loop, HTTP client, socket, resolver,
# systemd or clock headers (time and randomness come in as arguments).
# <netinet/in.h> and <arpa/inet.h> stay allowed: address types and
# inet_pton/inet_ntop are text conversions, not I/O.
io='^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](uv\.h|uv-[a-z]+\.h|curl/[a-z]+\.h|systemd/[a-z-]+\.h|sys/socket\.h|sys/un\.h|netdb\.h|sys/epoll\.h|poll\.h|sys/select\.h|sys/time\.h|sys/timerfd\.h|time\.h|openssl/(ssl|bio|rand)\.h)[>"]'
for f in lib/*.c lib/*.h; do
	[ -f "$f" ] || continue
	hits=$(grep -nE "$io" "$f" || true)
	if [ -n "$hits" ]; then
		echo "$hits" | sed "s|^|lint: $f:|; s|\$| (lib/ must not include I/O or clock headers)|"
		fail=1
	fi
done

# 4. lib/ reads no clock and no randomness source by itself.
for f in lib/*.c; do
	[ -f "$f" ] || continue
	# comment lines (" * ...") and string literals are not calls
	hits=$(sed -e 's://.*$::' -e 's:^[[:space:]]*/\?\*.*$::' -e 's:"[^"]*"::g' "$f" | grep -nE '\b(clock_gettime|gettimeofday|time|randombytes_[a-z]+|rand|random|getrandom)[[:space:]]*\(' || true)
	if [ -n "$hits" ]; then
		echo "$hits" | sed "s|^|lint: $f:|; s|\$| (lib/ takes time and randomness as arguments)|"
		fail=1
	fi
done

# 5. agent/ is a star around agent/daemon.c: a module (a folder, or a file
# with its header at the top of agent/) includes lib/ headers and its own,
# never a sibling's; the hub's own parts (agent/daemon_*.c, sharing
# daemon_int.h) may include the modules' headers as daemon.c does;
# agent/main.c, the program's entry, may include
# daemon.h and the log sink it sets up before the daemon exists.
for f in $(find agent -name '*.[ch]' | sort); do
	dir=$(dirname "$f")
	stem=$(basename "$f" | sed 's/\.[ch]$//')
	for h in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
		[ "$h" = autoconfig.h ] && continue
		[ -f "lib/$h" ] && continue
		case "$f:$h" in
		agent/daemon.c:* | agent/daemon_*.c:*) [ -f "agent/$h" ] && continue ;;
		agent/main.c:daemon.h | agent/main.c:logsink.h) continue ;;
		esac
		if [ "$dir" != agent ] && [ -f "$dir/$h" ]; then
			continue # inside its own module
		fi
		if [ "$dir" = agent ] && [ "$h" = "$stem.h" ]; then
			continue
		fi
		echo "lint: $f: includes \"$h\", a sibling's header (agent/ modules report to daemon.c through callbacks)"
		fail=1
	done
done

[ $fail -eq 0 ] && echo "lint: $(echo "$files" | wc -w) C files formatted, no banned call, lib/ free of I/O, agent/ a star around daemon.c"
exit $fail
