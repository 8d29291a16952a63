#!/bin/sh
# run.sh BUILD STATE [PORTS] - what `make run` does: a development suite
# in STATE (a store with the domain example.test and the person
# demo/demo, a welcome message for demo, a self-signed certificate,
# etc/ems-dev.conf) started in the foreground.  Ctrl-C stops everything
# it started.
#
# PORTS (default 1100) is the base of the loopback ports: POP3 PORTS+10,
# LMTP +24, IMAP +43, ManageSieve +90, IMAPS +93, POP3S +95.  When one is taken the script
# says by what and exits 1 before it starts or writes anything.
#
# Started as root, the children run as the system user ems (created when
# missing, with useradd) or, failing that, nobody; STATE is owned to match
# and only the guardian stays root.  Started as anyone else, everything
# runs as that user.
set -eu
build=$1
state=$2
base=${3:-1100}
src=$(cd "$(dirname "$0")/.." && pwd)
bin=$build/bin

say() { echo "run: $*"; }
die() { echo "run: $*" >&2; exit 1; }

# service offset: the listeners of etc/ems-dev.conf, which names them
# with the default base 1100.
SERVICES='POP3 10
LMTP 24
IMAP 43
SIEVE 90
IMAPS 93
POP3S 95'

case "$base" in
''|*[!0-9]*) die "PORTS=$base is not a number (the base port, e.g. PORTS=21100)" ;;
esac
[ "$base" -ge 1 ] && [ "$base" -le $((65535 - 95)) ] ||
	die "PORTS=$base is out of range (1 to $((65535 - 95)))"

# What listens on TCP port $1 (/proc/net/tcp{,6}, state 0A), by pid and
# name, or by uid when its descriptors are not visible to this user;
# nothing when the port is free.
port_holder() {
	found=$(awk -v want="$(printf '%04X' "$1")" '
		$4 == "0A" { n = split($2, a, ":"); if (a[n] == want) { print $10, $8; exit } }' \
		/proc/net/tcp /proc/net/tcp6 2>/dev/null) || true
	[ -n "$found" ] || return 0
	inode=${found% *}
	uid=${found#* }
	fd=$(find /proc/[0-9]*/fd -maxdepth 1 -lname "socket:\[$inode\]" 2>/dev/null | head -n 1) || true
	if [ -n "$fd" ]; then
		pid=${fd#/proc/}
		pid=${pid%%/*}
		echo "pid $pid ($(cat "/proc/$pid/comm" 2>/dev/null || echo '?')) listens on it"
	else
		echo "a process of uid $uid listens on it (which one only root can see: ss -ltnp)"
	fi
}

taken=0
while read -r name off; do
	port=$((base + off))
	holder=$(port_holder "$port")
	if [ -n "$holder" ]; then
		echo "run: port $port ($name) is taken: $holder" >&2
		taken=1
	fi
done <<EOF
$SERVICES
EOF
other=21100
[ "$base" != "$other" ] || other=31100
[ "$taken" = 0 ] || die "nothing started; choose other ports, e.g. make run PORTS=$other"

# The children's user when started as root (empty: keep the caller's).
user=
group=
if [ "$(id -u)" = 0 ]; then
	if ! id ems >/dev/null 2>&1; then
		useradd --system --user-group --no-create-home --home-dir /nonexistent \
		    --shell /usr/sbin/nologin ems >/dev/null 2>&1 &&
			say "created the system user ems for the suite's processes"
	fi
	if id ems >/dev/null 2>&1; then user=ems; else user=nobody; fi
	group=$(id -gn "$user")
	# The children are executed as that user: it must reach the programs
	# and the state directory (a checkout under /root is out of its reach).
	parent=$(dirname "$state")
	while [ ! -d "$parent" ]; do parent=$(dirname "$parent"); done
	for path in "$bin/guardian" "$parent"; do
		setpriv --reuid="$user" --regid="$group" --clear-groups test -x "$path" ||
			die "user $user cannot reach $path (a parent directory is closed to others); " \
			    "work in a checkout others may enter, e.g. under /srv or /usr/local/src"
	done
	say "children run as $user:$group, the guardian as root"
fi

mkdir -p "$state/log" "$state/run" "$state/tls"
export EMS_STATE_DIR="$state"
export EMS_CONFIG="$state/ems.conf"
# The dev config names its state directory "run-state" and its ports with
# the base 1100: point them at STATE and PORTS (one substitution a line).
ports=$(echo "$SERVICES" | while read -r name off; do
	printf 's/port = %d;/port = %d;/;t\n' $((1100 + off)) $((base + off))
done)
sed -e "s|\"run-state|\"$state|" -e "s|^user = \"\";|user = \"$user\";|" \
    -e "s|^group = \"\";|group = \"$group\";|" -e "$ports" \
    "$src/etc/ems-dev.conf" > "$EMS_CONFIG"

if [ ! -s "$state/tls/dev.crt" ]; then
	"$bin/oomgr" -c "$EMS_CONFIG" "cert generate dev cn=localhost days=365 replace=yes" >/dev/null
	say "self-signed certificate in $state/tls/"
fi

if [ ! -e "$state/store.db" ]; then
	"$bin/oomgr" -c "$EMS_CONFIG" \
	    "insert domain qualifiedname=example.test description=\"demo domain\";" \
	    "insert person username=demo@example.test password=demo;"
	# A first message, so the README's FETCH and RETR have something to
	# show; smtpgw queues it and postman files it once the suite is up.
	printf 'From: postmaster@example.test\r\nTo: demo@example.test\r\nSubject: Welcome to ems\r\nDate: %s\r\nMessage-ID: <welcome@example.test>\r\n\r\nThis suite runs from %s.\r\n' \
	    "$(LC_ALL=C date -R)" "$state" |
	    "$bin/smtpgw" -c "$EMS_CONFIG" -f postmaster@example.test -- demo@example.test
	say "store $state/store.db with demo@example.test (password demo), one message queued"
fi
# Everything in STATE belongs to the children's user (the guardian, as
# root, can still reach it); the store's password hashes are nobody
# else's business.
[ -z "$user" ] || chown -R "$user:$group" "$state"
chmod 750 "$state"

say "POP3 $((base + 10)), IMAP $((base + 43)), POP3S $((base + 95)), IMAPS $((base + 93)), LMTP $((base + 24)) on 127.0.0.1"
say "starting the guardian in the foreground (Ctrl-C stops the suite)"
say "from another terminal:  $bin/oomgr -c $EMS_CONFIG disp process"
exec "$bin/guardian" -F -c "$EMS_CONFIG"
