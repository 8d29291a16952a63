# collector/module.mk - garbage removal in the store (see
# collector/collector.h for its files).
PROGRAMS += collector

collector_SRCS := collector/collector.c collector/collector_run.c
UNIT_EXTRA_collector := collector/collector_run.c
