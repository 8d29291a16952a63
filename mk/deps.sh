#!/bin/sh
# deps.sh - checks what ems needs to build and test; as root on Debian it
# installs what is missing with apt-get, otherwise it prints the command.
#   sh mk/deps.sh      report and install
#   sh mk/deps.sh -q   silent when everything is there (used by make)
set -u
quiet=0
[ "${1:-}" = "-q" ] && quiet=1

# Debian package: what proves it is there (a command, or a pkg-config module).
# Keep one line per package; later tools add theirs here.
REQUIRED='
gcc                 cmd:gcc
make                cmd:make
pkg-config          cmd:pkg-config
libssl-dev          pc:openssl
libsqlite3-dev      pc:sqlite3
libconfig-dev       pc:libconfig
libsystemd-dev      pc:libsystemd
libcrypt-dev        file:/usr/include/crypt.h
perl                cmd:prove
python3             cmd:python3
openssl             cmd:openssl
curl                cmd:curl
isync               cmd:mbsync
mutt                cmd:mutt
sendmail-bin        file:/usr/libexec/sendmail/sendmail
sendmail-cf         file:/usr/share/sendmail/cf/m4/cf.m4
m4                  cmd:m4
cppcheck            cmd:cppcheck
'

for_each() {
	echo "$REQUIRED" | while read -r pkg probe; do
		[ -n "$pkg" ] || continue
		case "$probe" in
		cmd:*)  command -v "${probe#cmd:}" >/dev/null 2>&1 || echo "$pkg" ;;
		pc:*)   pkg-config --exists "${probe#pc:}" 2>/dev/null || echo "$pkg" ;;
		file:*) [ -e "${probe#file:}" ] || echo "$pkg" ;;
		esac
	done
}
missing=$(for_each | tr '\n' ' ' | sed 's/ *$//')

if [ -z "$missing" ]; then
	[ "$quiet" = 1 ] || echo "deps: everything ems needs is installed"
	exit 0
fi

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "deps: missing: $missing" >&2
	echo "deps: install them with:  apt-get install -y $missing" >&2
	exit 1
fi

echo "deps: installing: $missing"
export DEBIAN_FRONTEND=noninteractive
# sendmail-bin is only there for t/sendmail.t, which runs the binary with
# a private configuration: its package must not leave a daemon running.
# A policy-rc.d that says "no" keeps the package scripts from starting
# one (unless the machine has such a policy already).
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && own_policy=1
fi
# Update the package lists only now that something has to be installed.
apt-get update -qq || exit 1
# shellcheck disable=SC2086
apt-get install -y -qq $missing
rc=$?
[ "$own_policy" = 1 ] && rm -f "$policy"
[ "$rc" = 0 ] || exit 1
case " $missing " in
*" sendmail-bin "*)
	# Under systemd the unit may have been enabled and started anyway.
	if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
		systemctl disable --now sendmail >/dev/null 2>&1 || true
	fi
	[ -x /etc/init.d/sendmail ] && /etc/init.d/sendmail stop >/dev/null 2>&1 || true
	;;
esac
echo "deps: installed: $missing"
