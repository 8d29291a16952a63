#!/bin/sh
# deps.sh - what ems needs, in lists by target, and what is missing:
#
#   sh mk/deps.sh              prints the lists and what is missing (make deps)
#   sh mk/deps.sh [-q] LIST    makes sure LIST is there; -q: silent when it is
#
#   build     the compiler and the libraries' -dev packages (make, make run)
#   check     the clients the tests drive and the PostgreSQL server the
#             tests start privately (make check), besides build
#   run       nothing beyond build: make run starts what make built
#   cppcheck  cppcheck (make cppcheck)
#
# As root on Debian the missing packages are installed with apt-get;
# otherwise the script prints the apt-get line and fails.  No list holds
# an MTA: installing sendmail-bin would replace the machine's own.  The
# tests run sendmail from a private copy instead: the check list fetches
# Debian's sendmail-bin and sendmail-cf with `apt-get download` and
# unpacks them with `dpkg -x` into build-deps/sendmail/ (nothing is
# installed; their shared libraries, which are no MTA, are).
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
quiet=0
[ "${1:-}" = "-q" ] && { quiet=1; shift; }

# Debian package: what proves it is there (a command, a pkg-config module
# or a file).  One line per package.
BUILD='
gcc                 cmd:gcc
make                cmd:make
pkg-config          cmd:pkg-config
libssl-dev          pc:openssl
libsqlite3-dev      pc:sqlite3
libconfig-dev       pc:libconfig
libsystemd-dev      pc:libsystemd
libcrypt-dev        file:/usr/include/crypt.h
libpq-dev           pc:libpq
'
CHECK='
perl                cmd:prove
python3             cmd:python3
openssl             cmd:openssl
curl                cmd:curl
isync               cmd:mbsync
mutt                cmd:mutt
m4                  cmd:m4
sieve-connect       cmd:sieve-connect
postgresql          glob:/usr/lib/postgresql/*/bin/initdb
'
CPPCHECK='
cppcheck            cmd:cppcheck
'
# The private sendmail of the tests (see t/lib/emssendmail.py).
SENDMAIL_DIR=$src/build-deps/sendmail
SENDMAIL_PKGS='sendmail-bin sendmail-cf'
SENDMAIL_BIN=$SENDMAIL_DIR/usr/libexec/sendmail/sendmail
SENDMAIL_CF=$SENDMAIL_DIR/usr/share/sendmail/cf/m4/cf.m4

list_of() {
	case "$1" in
	build) echo "$BUILD" ;;
	check) echo "$CHECK" ;;
	run) ;;
	cppcheck) echo "$CPPCHECK" ;;
	*) echo "deps: unknown list $1 (build, check, run, cppcheck)" >&2; exit 2 ;;
	esac
}

# The packages of a list, one per line.
packages() {
	list_of "$1" | while read -r pkg probe; do
		[ -n "$pkg" ] && echo "$pkg"
	done
}

# The packages of a list that are missing.
missing() {
	list_of "$1" | while read -r pkg probe; do
		[ -n "$pkg" ] || continue
		case "$probe" in
		cmd:*)  command -v "${probe#cmd:}" >/dev/null 2>&1 || echo "$pkg" ;;
		pc:*)   pkg-config --exists "${probe#pc:}" 2>/dev/null || echo "$pkg" ;;
		file:*) [ -e "${probe#file:}" ] || echo "$pkg" ;;
		# shellcheck disable=SC2086
		glob:*) ls ${probe#glob:} >/dev/null 2>&1 || echo "$pkg" ;;
		esac
	done
}

# The shared libraries the private sendmail needs that are not installed,
# from the Depends of the sendmail-bin it was unpacked from.
sendmail_libs_missing() {
	[ -r "$SENDMAIL_DIR/depends" ] || return 0
	tr ',' '\n' < "$SENDMAIL_DIR/depends" | sed 's/^ *//; s/[ (|].*//' | grep '^lib' |
	    while read -r lib; do
		dpkg-query -W -f='${Status}\n' "$lib" 2>/dev/null |
		    grep -q ' installed$' || echo "$lib"
	done
}

sendmail_ready() {
	[ -x "$SENDMAIL_BIN" ] && [ -e "$SENDMAIL_CF" ]
}

is_debian_root() {
	[ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1
}

updated=0
apt_update() {
	[ "$updated" = 1 ] && return 0
	updated=1
	apt-get update -qq
}

# Installs PACKAGES (as root on Debian) or says how; never an MTA.
apt_install() {
	if ! is_debian_root; then
		echo "deps: missing: $*" >&2
		echo "deps: install them with:  apt-get install -y $*" >&2
		return 1
	fi
	echo "deps: installing: $*"
	export DEBIAN_FRONTEND=noninteractive
	# Update the package lists only now that something has to be installed.
	apt_update || return 1
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends "$@" || return 1
	echo "deps: installed: $*"
}

# Fetches sendmail-bin and sendmail-cf into SENDMAIL_DIR without installing them.
fetch_sendmail() {
	if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
		echo "deps: the sendmail test needs Debian's $SENDMAIL_PKGS (apt-get download)" >&2
		return 1
	fi
	tmp=$(mktemp -d) || return 1
	[ "$quiet" = 1 ] || echo "deps: fetching $SENDMAIL_PKGS into $SENDMAIL_DIR (not installed)"
	# shellcheck disable=SC2086
	if ! (cd "$tmp" && apt-get download -qq $SENDMAIL_PKGS >/dev/null 2>&1); then
		# Package lists may be missing or stale on a fresh machine.
		if is_debian_root && apt_update; then
			# shellcheck disable=SC2086
			(cd "$tmp" && apt-get download -qq $SENDMAIL_PKGS >/dev/null)
		else
			false
		fi || { echo "deps: apt-get download $SENDMAIL_PKGS failed" >&2; rm -rf "$tmp"; return 1; }
	fi
	rm -rf "$SENDMAIL_DIR" && mkdir -p "$SENDMAIL_DIR" || { rm -rf "$tmp"; return 1; }
	for deb in "$tmp"/*.deb; do
		dpkg-deb -x "$deb" "$SENDMAIL_DIR" || { rm -rf "$tmp"; return 1; }
	done
	dpkg-deb -f "$tmp"/sendmail-bin_*.deb Depends > "$SENDMAIL_DIR/depends"
	rm -rf "$tmp"
	# A private copy needs no set-group-ID bit (its queue is the test's own).
	find "$SENDMAIL_DIR" -type f -perm /6000 -exec chmod ug-s {} +
	sendmail_ready || { echo "deps: $SENDMAIL_BIN is not in the packages" >&2; return 1; }
}

ensure() {
	# shellcheck disable=SC2046
	set -- $(missing "$1" | tr '\n' ' ')
	[ "$#" = 0 ] || apt_install "$@"
}

# The check list, then the private sendmail and its libraries.
ensure_check() {
	ensure check || return 1
	sendmail_ready || fetch_sendmail || return 1
	# shellcheck disable=SC2046
	set -- $(sendmail_libs_missing | tr '\n' ' ')
	[ "$#" = 0 ] || apt_install "$@"
}

show() {
	miss=$(missing "$1" | tr '\n' ' ')
	all=$(packages "$1" | tr '\n' ' ' | sed 's/ $//')
	printf '%-9s %s\n' "$1:" "${all:-(nothing beyond build)}"
	[ -z "$miss" ] || printf '%-9s missing: %s\n' "" "$miss"
}

if [ "$#" = 0 ]; then
	echo "deps: Debian packages each target needs (make deps lists, the targets install)"
	show build
	show check
	printf '%-9s %s\n' "" "and a private sendmail: $SENDMAIL_PKGS fetched into build-deps/, never installed"
	sendmail_ready || printf '%-9s missing: the private sendmail (make check fetches it)\n' ""
	libs=$(sendmail_libs_missing | tr '\n' ' ' | sed 's/ $//')
	[ -z "$libs" ] || printf '%-9s missing: %s (its libraries)\n' "" "$libs"
	show run
	show cppcheck
	exit 0
fi

for list in "$@"; do
	list_of "$list" >/dev/null || exit 2
done
for list in "$@"; do
	case "$list" in
	check) ensure_check || exit 1 ;;
	*) ensure "$list" || exit 1 ;;
	esac
done
[ "$quiet" = 1 ] || echo "deps: everything $* needs is there"
exit 0
