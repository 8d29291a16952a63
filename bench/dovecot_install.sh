#!/bin/sh
# dovecot_install.sh - installs Debian's Dovecot (imapd, pop3d, lmtpd) for
# `make bench PEER=dovecot` when it is missing, without letting the package
# start the system service: the bench runs its own private instance.
# Exit status 0 when dovecot is there afterwards, 1 otherwise.
set -u
PKGS='dovecot-core dovecot-imapd dovecot-pop3d dovecot-lmtpd'
missing=''
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "bench: dovecot missing; install with: apt-get install -y$missing" >&2
	exit 1
fi
echo "bench: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# A policy-rc.d that says "no" keeps the maintainer scripts from starting
# the system dovecot (unless the machine has such a policy already).
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && own_policy=1
fi
apt-get install -y -qq $missing >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq $missing; }
rc=$?
[ "$own_policy" = 1 ] && rm -f "$policy"
# Under systemd the unit may have been enabled and started anyway.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
	systemctl disable --now dovecot.service dovecot.socket >/dev/null 2>&1 || true
fi
[ "$rc" = 0 ]
