#!/bin/bash
# The health-check loop an operator would write instead of mirrorpoold, used
# by bench/failover.py as the baseline. Every INTERVAL seconds it fetches the
# check URL from each mirror address with curl; FALL consecutive failures
# delete that address's A record with nsupdate, RISE consecutive successes
# add it back. One schedule for every state: no faster re-checks after a
# first failure (a plain `sleep`, as such scripts are usually written).
#
#   SERVER=127.0.0.1 DNS_PORT=53 ZONE=example.org NAME=dl.example.org. \
#   TTL=60 KEY_FILE=tsig.key URL=http://dl.example.org:8080/trace \
#   INTERVAL=1 TIMEOUT=1 FALL=2 RISE=2 naive-failover.sh 192.0.2.10 ...
#
# Each decision is printed with a timestamp, for the benchmark's log.
set -u

: "${SERVER:=127.0.0.1}" "${DNS_PORT:=53}" "${ZONE:?}" "${NAME:?}"
: "${TTL:=60}" "${KEY_FILE:?}" "${URL:?}"
: "${INTERVAL:=1}" "${TIMEOUT:=1}" "${FALL:=2}" "${RISE:=2}"

# http://host:port/path -> host and port for curl --resolve
hostport=${URL#*://}
hostport=${hostport%%/*}
host=${hostport%%:*}
port=${hostport##*:}
[ "$port" = "$hostport" ] && port=80

declare -A fails oks down
for a in "$@"; do
	fails[$a]=0
	oks[$a]=0
	down[$a]=0
done

log() {
	printf '%(%H:%M:%S)T %s\n' -1 "$*"
}

# update add|delete ADDRESS
update() {
	local rr
	if [ "$1" = add ]; then
		rr="$NAME $TTL A $2"
	else
		rr="$NAME A $2"
	fi
	printf 'server %s %s\nzone %s\nupdate %s %s\nsend\n' \
		"$SERVER" "$DNS_PORT" "$ZONE" "$1" "$rr" |
		nsupdate -k "$KEY_FILE" -t 2
}

while :; do
	for a in "$@"; do
		if curl -fsS -o /dev/null --max-time "$TIMEOUT" \
			--resolve "$host:$port:$a" "$URL" 2>/dev/null; then
			fails[$a]=0
			oks[$a]=$((oks[$a] + 1))
			if [ "${down[$a]}" = 1 ] && [ "${oks[$a]}" -ge "$RISE" ]; then
				update add "$a" && down[$a]=0 && log "$a up: added"
			fi
		else
			oks[$a]=0
			fails[$a]=$((fails[$a] + 1))
			if [ "${down[$a]}" = 0 ] && [ "${fails[$a]}" -ge "$FALL" ]; then
				update delete "$a" && down[$a]=1 &&
					log "$a down after ${fails[$a]} failures: deleted"
			fi
		fi
	done
	sleep "$INTERVAL"
done
