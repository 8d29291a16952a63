#!/bin/sh
# run.sh BUILD STATE - what `make run` does: a development suite in STATE
# (a store with the domain example.test and the person demo/demo, a
# welcome message for demo, a self-signed certificate, etc/ems-dev.conf on the high ports) started in
# the foreground.  Ctrl-C stops everything it started.
set -eu
build=$1
state=$2
src=$(cd "$(dirname "$0")/.." && pwd)
bin=$build/bin

mkdir -p "$state/log" "$state/run" "$state/tls"
export EMS_STATE_DIR="$state"
export EMS_CONFIG="$state/ems.conf"
# The dev config names its state directory "run-state"; point it at STATE.
sed "s|\"run-state\"|\"$state\"|" "$src/etc/ems-dev.conf" > "$EMS_CONFIG"

if [ ! -s "$state/tls/cert.pem" ]; then
	openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=localhost" \
	    -keyout "$state/tls/key.pem" -out "$state/tls/cert.pem" 2>/dev/null
	chmod 600 "$state/tls/key.pem"
	echo "run: self-signed certificate in $state/tls/"
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
	echo "run: store $state/store.db with demo@example.test (password demo), one message queued"
fi

echo "run: starting the guardian in the foreground (Ctrl-C stops the suite)"
echo "run: from another terminal:  $bin/oomgr -c $EMS_CONFIG disp process"
exec "$bin/guardian" -F -c "$EMS_CONFIG"
