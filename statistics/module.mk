# statistics/module.mk - samples every process's counters into the store,
# and serves them to Prometheus (see statistics/statistics.h).
PROGRAMS += statistics

statistics_SRCS := statistics/statistics.c statistics/statistics_http.c
