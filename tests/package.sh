#!/usr/bin/env bash
# The Debian package, as an operator meets it: built from a release tarball
# in a scratch directory (the tree's own build is not touched) with
# `dpkg-buildpackage -us -uc -b`, checked with lintian, installed with
# `apt-get install ./mirrorpool_*.deb`; then `mirrorpoold --check-config`
# runs from the installed paths, the installed unit is scored with
# `systemd-analyze security --offline=true` (at most 1.5), and the package
# is purged. The machine is left as it was (the key made here, the package,
# and the "mirrorpool" user and group if they were not there before).
#
# Usage (as root): tests/package.sh mirrorpool-VERSION.tar.gz
set -euo pipefail

max_exposure=1.5
tarball=$(readlink -f "${1:?usage: $0 mirrorpool-VERSION.tar.gz}")
[ "$(id -u)" -eq 0 ] || { echo "package test: needs root" >&2; exit 1; }
if dpkg-query -W -f='${Status}' mirrorpool 2>/dev/null | grep -q installed; then
	echo "package test: mirrorpool is installed already; not touching it" >&2
	exit 1
fi
[ ! -e /etc/mirrorpool ] || {
	echo "package test: /etc/mirrorpool exists; not touching it" >&2
	exit 1
}

work=$(mktemp -d /tmp/mirrorpool-deb.XXXXXX)
had_user=0
had_group=0
getent passwd mirrorpool >/dev/null && had_user=1
getent group mirrorpool >/dev/null && had_group=1

cleanup() {
	rm -f /etc/mirrorpool/tsig.key
	if dpkg-query -W -f='${Status}' mirrorpool 2>/dev/null |
		grep -qE 'installed|config-files'; then
		apt-get purge -y -q mirrorpool >/dev/null 2>&1 || true
	fi
	if [ $had_user = 0 ] && getent passwd mirrorpool >/dev/null; then
		userdel mirrorpool || true
	fi
	if [ $had_group = 0 ] && getent group mirrorpool >/dev/null; then
		groupdel mirrorpool || true
	fi
	if [ -n "${MP_PACKAGE_KEEP:-}" ]; then
		echo "package test: kept $work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT

fail() {
	echo "package test: $*" >&2
	exit 1
}

echo "--- dpkg-buildpackage -us -uc -b (from $(basename "$tarball"))"
tar -C "$work" -xzf "$tarball"
src=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'mirrorpool-*')
version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
upstream=$(sed -n 's/^AC_INIT(\[mirrorpool\], \[\([^]]*\)\].*/\1/p' \
	"$src/configure.ac")
[ "$version" = "$upstream" ] ||
	fail "debian/changelog says $version, configure.ac $upstream"
# The unit tests ran in the suite already (nocheck); two jobs at most.
(cd "$src" &&
	DEB_BUILD_OPTIONS="nocheck parallel=2 ${DEB_BUILD_OPTIONS:-}" \
		dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 || {
	tail -60 "$work/build.log"
	fail "dpkg-buildpackage failed"
}
deb=$(ls "$work"/mirrorpool_"$version"_*.deb)
echo "built $(basename "$deb")"

echo "--- lintian"
lintian --fail-on error,warning --info --show-overrides "$deb" |
	tee "$work/lintian.log" ||
	fail "lintian found errors or warnings"
grep -qE '^[EW]: ' "$work/lintian.log" && fail "lintian is not clean"
echo "lintian: no error, no warning"

echo "--- apt-get install ./$(basename "$deb")"
(cd "$work" && apt-get install -y -q "./$(basename "$deb")") \
	>"$work/install.log" 2>&1 || {
	cat "$work/install.log"
	fail "apt-get install failed"
}
for f in /usr/sbin/mirrorpoold /usr/bin/mirrorpoolctl \
	/lib/systemd/system/mirrorpoold.service \
	/usr/lib/sysusers.d/mirrorpool.conf /etc/mirrorpool/mirrorpool.conf \
	/usr/share/doc/mirrorpool/alerts.yml \
	/usr/share/doc/mirrorpool/copyright; do
	[ -e "$f" ] || fail "$f is not installed"
done
ls /usr/share/doc/mirrorpool/operator-guide.md* >/dev/null ||
	fail "the operator's guide is not installed"
ls /usr/share/doc/mirrorpool/README.Debian* >/dev/null ||
	fail "README.Debian is not installed"
for page in mirrorpoold.8 mirrorpoolctl.8 mirrorpool.conf.5; do
	ls /usr/share/man/man"${page##*.}"/"$page".gz >/dev/null ||
		fail "man page $page is not installed"
done
dpkg-query -W -f='${Conffiles}\n' mirrorpool |
	grep -q '^ /etc/mirrorpool/mirrorpool.conf ' ||
	fail "/etc/mirrorpool/mirrorpool.conf is not a conffile"
getent passwd mirrorpool >/dev/null ||
	fail "the postinst did not create the user mirrorpool"
/usr/sbin/mirrorpoold --version

echo "--- mirrorpoold --check-config (installed paths, a fresh key)"
# without a key: refused with 78, naming the file
rc=0
/usr/sbin/mirrorpoold --check-config >"$work/nokey.log" 2>&1 || rc=$?
[ $rc -eq 78 ] || fail "--check-config without a key exited $rc, not 78"
grep -q 'tsig.key' "$work/nokey.log" ||
	fail "--check-config without a key does not name it: $(cat "$work/nokey.log")"
tsig-keygen -a hmac-sha256 mirrorpool >/etc/mirrorpool/tsig.key
chown root:mirrorpool /etc/mirrorpool/tsig.key
chmod 0640 /etc/mirrorpool/tsig.key
/usr/sbin/mirrorpoold --check-config | tee "$work/check.log"
grep -q 'mirrorpool' "$work/check.log" || fail "no summary"
secret=$(sed -n 's/.*secret "\([^"]*\)".*/\1/p' /etc/mirrorpool/tsig.key)
grep -qF "$secret" "$work/check.log" && fail "--check-config printed the secret"

echo "--- systemd-analyze security --offline=true (installed unit)"
out=$(systemd-analyze security --offline=true --no-pager \
	/lib/systemd/system/mirrorpoold.service 2>&1)
exposure=$(printf '%s\n' "$out" |
	sed -n 's/.*Overall exposure level for mirrorpoold.service: \([0-9.]*\).*/\1/p')
[ -n "$exposure" ] || { printf '%s\n' "$out"; fail "no exposure figure"; }
echo "exposure: $exposure"
awk -v e="$exposure" -v m="$max_exposure" 'BEGIN { exit !(e <= m) }' ||
	fail "exposure $exposure is above $max_exposure"

echo "--- apt-get purge mirrorpool"
rm -f /etc/mirrorpool/tsig.key
apt-get purge -y -q mirrorpool >"$work/purge.log" 2>&1 || {
	cat "$work/purge.log"
	fail "apt-get purge failed"
}
dpkg-query -W -f='${Status}' mirrorpool 2>/dev/null | grep -qE 'installed|config-files' &&
	fail "mirrorpool is still known to dpkg after purge"
for f in /etc/mirrorpool /usr/sbin/mirrorpoold /usr/bin/mirrorpoolctl \
	/lib/systemd/system/mirrorpoold.service \
	/usr/lib/sysusers.d/mirrorpool.conf /usr/share/doc/mirrorpool; do
	[ ! -e "$f" ] || fail "$f is left after purge"
done
echo "package: built, lintian clean, installed, checked, exposure $exposure, purged"
