/*
 * emsbench.h - the load generator behind `make bench`: one program with a
 * subcommand per load, each printing one JSON object of figures on
 * stdout (bench/run.py collects them; see emsbench(8)).
 *
 *   emsbench.c        options, dispatch, --help
 *   bench_conn.c      client connection (plain/TLS) over libcommon's iostream
 *   bench_stats.c     clock, latency percentiles, JSON output
 *   bench_message.c   generated test messages (unique, of a given size)
 *   bench_watch.c     counts a mailbox while delivery runs (end-to-end latency)
 *   bench_deliver.c   lmtp and mailer: delivery rate and latency
 *   bench_pop3.c      pop3: sessions/s and RETR throughput
 *   bench_imap.c      imap: the mixed workload, ops/s per command
 *   bench_idle.c      idle (many connections held in IDLE) and push latency
 *
 * The servers are whatever the target says: the bench speaks only the
 * protocols, so the same run measures ems and a peer server alike.
 */
#ifndef EMS_BENCH_H
#define EMS_BENCH_H

#include <stddef.h>

#include "bench_conn.h"

/* Every wait on a server is bounded by this unless --timeout says. */
#define BENCH_TIMEOUT_MS 30000
/* --connect given more than once: the nodes a load's clients spread over. */
#define BENCH_MAX_TARGETS 8

struct bench_opts {
	struct bench_target targets[BENCH_MAX_TARGETS];   /* the server(s) under load */
	int ntargets;                 /* how many --connect gave (at least 1) */
	struct bench_target lmtp;     /* push: where deliveries go */
	int clients;                  /* parallel connections / processes */
	double seconds;               /* duration of timed loads */
	int count;                    /* messages (lmtp, mailer, push) or connections (idle) */
	double rate;                  /* logins: attempts per second */
	double pace;                  /* imap: commands per second in all (0: as fast as answered) */
	int push;                     /* idle: deliveries timed at the full count */
	size_t size;                  /* message size in bytes */
	const char *user_fmt;         /* login name, printf with %d = client number */
	int users;                    /* client numbers wrap at this */
	const char *password;
	const char *rcpt;             /* delivery recipient */
	const char *watch_store;      /* ems store.db to watch for arrivals */
	const char *watch_maildir;    /* or a Maildir to watch */
	char **command;               /* mailer: the program and its arguments */
	int timeout_ms;
};

/* The login name of client I (I wraps at opts->users) into BUF. */
void bench_user(const struct bench_opts *o, int i, char *buf, size_t len);

/* Where client (or connection, or delivery worker) I connects: the
 * (I mod N)-th of the N --connect addresses, so a load's clients are
 * spread evenly over several nodes. */
const struct bench_target *bench_target(const struct bench_opts *o, int i);

/* The subcommands: each runs its load, prints its JSON object and
 * returns the exit status (0 when it could measure, even with protocol
 * errors, which it counts; 1 when it could not run at all). */
int bench_lmtp(const struct bench_opts *o);
int bench_mailer(const struct bench_opts *o);
int bench_pop3(const struct bench_opts *o);
int bench_imap(const struct bench_opts *o);
int bench_idle(const struct bench_opts *o);
int bench_push(const struct bench_opts *o);
int bench_logins(const struct bench_opts *o);

#endif
