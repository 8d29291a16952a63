# monitor/module.mk - health: disk space, store size, late heartbeats
# (see monitor/monitor.h for its files).
PROGRAMS += monitor

monitor_SRCS := monitor/monitor.c monitor/monitor_check.c monitor/monitor_certs.c
