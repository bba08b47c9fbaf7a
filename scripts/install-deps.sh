#!/usr/bin/env bash
# Installs what mirrorpool needs to build, test and run its demo on Debian 12
# (as root). Packages already installed are skipped; nothing is started.
set -euo pipefail

DEPS=(build-essential autoconf automake libtool pkg-config
      libldns-dev libcurl4-openssl-dev libuv1-dev libsodium-dev libssl-dev
      libconfig-dev libjansson-dev libcunit1-dev libsystemd-dev
      bind9 bind9-utils bind9-dnsutils knot knot-dnsutils
      pdns-server pdns-backend-sqlite3
      nginx-light haproxy openssl ca-certificates curl python3
      valgrind clang clang-format groff-base man-db systemd procps iproute2
      prometheus dpkg-dev debhelper fakeroot lintian faketime)

missing=()
for p in "${DEPS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "==> installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "run as root, or install these Debian packages: ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# Packaged daemons (named, knotd, nginx, haproxy, prometheus: installed
# for its promtool) must not start and grab ports: mirrorpool's tests and demo run their own on loopback.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod +x "$policy"
	trap 'rm -f "$policy"' EXIT
fi
apt-get install -y -q --no-install-recommends "${missing[@]}"
