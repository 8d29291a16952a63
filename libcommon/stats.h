/*
 * stats.h - the counters every ems process keeps, its heartbeat and its
 * "Last Wakeup", in a small shared-memory segment per running process.
 *
 * WHY SHARED MEMORY.  Counting must cost nothing on the hot path: a
 * counter is one relaxed atomic load and store (about a nanosecond) in a
 * page the process has mapped, no system call, no message.  Each process maps its own file
 *
 *     <run_dir>/stats/<pid>.stats
 *
 * (MAP_SHARED, one writer: the process itself).  Readers map the same
 * file read-only: the guardian (heartbeats, Last Wakeup), the statistics
 * process (samples into the store), oomgr (`disp stats`) and the worker
 * itself (XTND STATS).  The segment is removed when the process calls
 * stats_close(); the guardian removes the segment of a child it reaped
 * (stats_remove()), and stats_each() skips segments whose pid is gone.
 * The counters of a process start at zero with each run; history lives
 * in the store, sampled by the statistics process.
 *
 * A process that never calls stats_open() (or whose open failed) still
 * may call every counting function: they then count into a private
 * block, so instrumentation never needs an "if".
 *
 * HEARTBEAT.  stats_heartbeat_start() adds a repeating timer to the
 * process's event loop that stamps the segment (monotonic clock).  A loop
 * that blocks (a stuck store call, SIGSTOP) stops stamping; the guardian
 * sees the stamp grow older than guardian.heartbeat_timeout_s and kills
 * and restarts the process.  A segment without a heartbeat (interval 0)
 * is never judged.
 *
 * REQUESTS.  Nothing in the segment is written by anyone but its owner:
 * the guardian's requests to a process (shutdown, refresh, log level,
 * run now) travel over its control channel (control_chan.h).
 */
#ifndef EMS_STATS_H
#define EMS_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct evloop;

/* The counters.  "Gauges" (current values) are marked; the rest only
 * grow.  The names stats_counter_name() gives are in the comments. */
enum stats_counter {
	/* connections: the XTND STATS set of POP3 and IMAP */
	STAT_CONN_CURRENT,      /* conn_current (gauge) */
	STAT_CONN_TOTAL,        /* conn_total */
	STAT_CONN_MAX,          /* conn_max: highest conn_current seen */
	STAT_CONN_TOO_MANY,     /* conn_too_many: refused, at maxclt */
	STAT_DISC_NORMAL,       /* disc_normal: QUIT / LOGOUT */
	STAT_DISC_ABNORMAL,     /* disc_abnormal: dropped, I/O error */
	STAT_CLIENT_TIMEOUTS,   /* client_timeouts: idle timer ran out */
	STAT_BLOCKED_SOCKETS,   /* blocked_sockets: output stalled, client cut */
	STAT_RETR_MESSAGES,     /* retr_messages: messages sent to clients */
	STAT_RETR_OCTETS,       /* retr_octets */
	STAT_RETR_MIN,          /* retr_min: smallest message sent (octets) */
	STAT_RETR_MAX,          /* retr_max: largest message sent (octets) */
	STAT_LOGINS,            /* logins: successful authentications */
	STAT_AUTH_FAILURES,     /* auth_failures */
	STAT_USERS_CURRENT,     /* users_current (gauge): logged-in sessions */
	STAT_TLS_HANDSHAKES,    /* tls_handshakes: completed */
	STAT_TLS_FAILURES,      /* tls_failures: handshakes that failed */
	/* delivery: smtpgw and postman */
	STAT_MAIL_ACCEPTED,     /* mail_accepted: messages queued (smtpgw) */
	STAT_MAIL_REJECTED,     /* mail_rejected: refused or temp-failed */
	STAT_MAIL_DELIVERED,    /* mail_delivered: mailbox deliveries */
	STAT_MAIL_BOUNCED,      /* mail_bounced: recipients that failed */
	STAT_MAIL_DEFERRED,     /* mail_deferred: items retried later */
	STAT_MAIL_SENT,         /* mail_sent: outbound items handed on */
	STAT_QUEUE_DEPTH,       /* queue_depth (gauge): submission queue */
	STAT_LATENCY_COUNT,     /* latency_count: deliveries timed */
	STAT_LATENCY_SUM_MS,    /* latency_sum_ms: submission to mailbox */
	STAT_LATENCY_MAX_MS,    /* latency_max_ms */
	/* housekeeping: collector and monitor */
	STAT_COLLECT_RUNS,      /* collect_runs */
	STAT_COLLECT_MESSAGES,  /* collect_messages: messages removed */
	STAT_COLLECT_ENTRIES,   /* collect_entries: expunged entries purged */
	STAT_COLLECT_QUEUE,     /* collect_queue: finished queue rows purged */
	STAT_STORE_BYTES,       /* store_bytes (gauge): store.db + WAL */
	STAT_DISK_FREE_MB,      /* disk_free_mb (gauge): least free of store/log */
	STAT_CERT_DAYS_LEFT,    /* cert_days_left (gauge): the first certificate
	                           to expire, 0 once expired */
	STAT_IDLE_READS,        /* idle_reads: reads of a changed mailbox for
	                           its idling IMAP sessions, one per mailbox */
	STAT_IDLE_UPDATES,      /* idle_updates: idling sessions brought up to
	                           date by those reads */
	/* IMAP commands by type, in the order of stats_imap_command() */
	STAT_IMAP_CMD_FIRST,
	STAT_IMAP_CMD_COUNT = 34,
	STAT_COUNTERS = STAT_IMAP_CMD_FIRST + STAT_IMAP_CMD_COUNT
};

/* How often a process stamps its heartbeat, unless it has reason to
 * choose otherwise. */
#define STATS_HEARTBEAT_MS 1000

/* Largest name of a counter, with its NUL. */
#define STATS_NAME_MAX 32

/*
 * Creates and maps this process's segment <run_dir>/stats/<pid>.stats
 * (creating the stats directory), for PROGRAM ("pop3srv") instance
 * INSTANCE.  Counts made before the call are carried over.  Returns 0,
 * or -1 after logging why (the process then counts privately).
 */
int stats_open(const char *run_dir, const char *program, int instance);

/* stats_open() and stats_heartbeat_start(LOOP, STATS_HEARTBEAT_MS) in
 * one call, for a daemon's setup.  Returns 0, or -1 (logged; the process
 * then counts privately and has no heartbeat, which is not fatal). */
int stats_start(struct evloop *loop, const char *run_dir, const char *program,
                int instance);

/* Unmaps and removes the segment (at exit).  Safe when never opened. */
void stats_close(void);

/*
 * Stamps the heartbeat now and every INTERVAL_MS from a repeating timer
 * on LOOP.  Returns 0, or -1
 * (logged) when the timer could not be added.
 */
int stats_heartbeat_start(struct evloop *loop, unsigned interval_ms);

/* Stamps the heartbeat once (for a long job between loop turns). */
void stats_heartbeat(void);

/* Records that the process woke up to do its periodic work now: the
 * "Last Wakeup" of `oomgr disp process`. */
void stats_wakeup(void);

/* Adds N to counter C.  Only the process itself counts into its segment,
 * from one thread. */
void stats_add(enum stats_counter c, uint64_t n);
static inline void stats_inc(enum stats_counter c) { stats_add(c, 1); }

/* Sets gauge C to V. */
void stats_set(enum stats_counter c, uint64_t v);

/* Raises counter C to V when V is larger (a maximum). */
void stats_max(enum stats_counter c, uint64_t v);

/* A client connected: conn_current +1, conn_total +1, conn_max. */
void stats_conn_open(void);

/* A client went away: conn_current -1 and disc_normal or disc_abnormal. */
void stats_conn_close(bool normal);

/* A client logged in: logins +1, users_current +1. */
void stats_login(void);

/* A logged-in client went away: users_current -1. */
void stats_logout(void);

/* stats_conn_close(NORMAL), and stats_logout() when LOGGED_IN: the end
 * of a client session in one call. */
void stats_conn_end(bool normal, bool logged_in);

/* A message of OCTETS was sent to a client: retr_messages, retr_octets,
 * retr_min and retr_max. */
void stats_retrieved(uint64_t octets);

/* A delivery took MS milliseconds from submission to mailbox. */
void stats_latency(uint64_t ms);

/* Counts IMAP command NAME (any case: "fetch", "UID"); a name not in
 * the list counts as "OTHER". */
void stats_imap_command(const char *name);

/* The value of counter C in this process. */
uint64_t stats_get(enum stats_counter c);

/* ---- reading other processes' segments ---- */

/* What a reader sees of one segment. */
struct stats_snapshot {
	pid_t pid;
	char program[STATS_NAME_MAX];
	int instance;
	int64_t started;            /* unix time the segment was opened */
	int64_t wakeup;             /* unix time of the last stats_wakeup(), 0 */
	int64_t heartbeat_ms;       /* monotonic ms of the last stamp, 0: none */
	uint32_t heartbeat_interval_ms;   /* 0: no heartbeat */
	uint64_t values[STAT_COUNTERS];
};

/*
 * Reads the segment of PID under RUN_DIR into OUT.  Returns 0; -1 with
 * errno ENOENT when there is none; -1 (logged at debug) when the file is
 * not a segment of this ems version.
 */
int stats_read(const char *run_dir, pid_t pid, struct stats_snapshot *out);

/* Calls EACH for the segment of every live process under RUN_DIR (sorted
 * by program, then instance) until it returns non-zero.  Returns the
 * number of segments visited, or -1 (logged) when the directory cannot
 * be read (a missing directory counts as none). */
int stats_each(const char *run_dir,
               int (*each)(const struct stats_snapshot *s, void *ctx), void *ctx);

/* Removes the segment of PID (a child that died without stats_close()). */
void stats_remove(const char *run_dir, pid_t pid);

/* Removes the segments under RUN_DIR whose process is gone (a process
 * killed outside the guardian).  Returns how many were removed. */
int stats_sweep(const char *run_dir);

/* "conn_total", "imap_fetch" ...: the name of counter C, or NULL past
 * the end. */
const char *stats_counter_name(enum stats_counter c);

/* The counter called NAME, or -1. */
int stats_counter_find(const char *name);

/* True for the gauges (current values, not totals). */
bool stats_counter_is_gauge(enum stats_counter c);

/* Monotonic milliseconds (the heartbeat clock). */
int64_t stats_now_ms(void);

#endif
