# bench/module.mk - emsbench, the load generator behind `make bench`
# (bench/run.py drives it; emsbench.h maps its files).
emsbench_SRCS := bench/emsbench.c bench/bench_conn.c bench/bench_stats.c \
                 bench/bench_message.c bench/bench_watch.c bench/bench_proto.c \
                 bench/bench_deliver.c bench/bench_pop3.c bench/bench_imap.c \
                 bench/bench_idle.c bench/bench_login.c
PROGRAMS += emsbench
