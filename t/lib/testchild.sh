#!/bin/sh
# testchild.sh - stands in for an ems program in the guardian's tests
# (t/guardian.t registers it with program = "<abs path>/testchild.sh").
# It prints the parameters the guardian passed (argv and the EMS_*
# environment) on stdout, which the guardian sends to the instance's log,
# then does what the first line of its confm file says:
#   run        (default) sleep until a signal ends it; SIGTERM ends it
#   exit [N]   exit with status N (default 1) at once: a crash loop
#   stubborn   ignore SIGTERM, so only SIGKILL ends it
#   write F... try to create each file F, print "wrote F" or "refused F",
#              then run
# SIGHUP (the guardian's "reread your configuration") is ignored, as a
# real program would survive it.
echo "testchild pid=$$ uid=$(id -u) args=[$*] instance=${EMS_INSTANCE-}" \
     "flags=${EMS_FLAGS-} confm=${EMS_CONFM-} maxclt=${EMS_MAXCLT-}" \
     "config=${EMS_CONFIG-} notify=${NOTIFY_SOCKET-}"
mode=run
arg=
if [ -n "${EMS_CONFM-}" ] && [ -r "$EMS_CONFM" ]; then
	read -r mode arg < "$EMS_CONFM" || true
fi
trap '' HUP
case $mode in
exit)     exit "${arg:-1}" ;;
stubborn) trap '' TERM ;;
write)
	for f in $arg; do
		if (echo x > "$f") 2>/dev/null; then echo "wrote $f"; else echo "refused $f"; fi
	done ;;
esac
# exec keeps the pid the guardian knows; an ignored SIGTERM stays ignored.
exec sleep 1000000
