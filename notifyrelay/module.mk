# notifyrelay/module.mk - wake-ups between nodes through PostgreSQL
# LISTEN/NOTIFY (see notifyrelay/notifyrelay.h for its files).
PROGRAMS += notifyrelay

notifyrelay_SRCS := notifyrelay/notifyrelay.c notifyrelay/relay_link.c
