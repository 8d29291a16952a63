/*
 * statistics.h - what the files of the statistics process share.
 *
 *   statistics.c        main: samples the counters into the store (daemon.h)
 *   statistics_http.c   the optional Prometheus endpoint
 */
#ifndef EMS_STATISTICS_H
#define EMS_STATISTICS_H

struct evloop;

/*
 * Serves the counters of every running process (stats.h) in the
 * Prometheus text format at http://SPEC/metrics (SPEC "127.0.0.1:9154",
 * numeric, as for --listen), through LOOP; RUN_DIR is where the
 * segments are.  One counter is one metric ems_<name> with a label
 * process="<program><NN>".  Returns 0, or -1 after logging why.
 */
int http_start(struct evloop *loop, const char *spec, const char *run_dir);

/* Closes the endpoint and every connection on it. */
void http_stop(void);

#endif
