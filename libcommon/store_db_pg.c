/*
 * store_db_pg.c - store_driver_pg: the store on PostgreSQL through libpq
 * (store.backend = "postgresql"; see store_driver.h for the contract and
 * store_db.h for the SQL every module writes).
 *
 * Statements are parsed here once (?N becomes $N) and prepared on the
 * server lazily, on their first step, under a generated name; a
 * connection that was lost and made again prepares them anew.  Integers
 * go to the server as text, blobs in binary; every result comes back in
 * text format, blob columns unescaped on first read and kept until the
 * next step or reset.
 *
 * A READ STREAMS.  It is sent in libpq's single-row mode, and each step
 * takes the next row off the connection, so that a walk of a million
 * rows holds one (writes, whose result is a few RETURNING rows, are read
 * whole).  libpq allows one query in flight per connection; a statement
 * run in the middle of a walk (a list callback's) first has settle() read
 * the rest of the walk into its spill, a compact buffer the walk goes on
 * from, failures included at the row they happened.  A walk given up
 * early reads at most PG_ABANDON_READS more rows, then cancels the rest
 * on the server; inside a transaction, which a cancel would abort, it
 * reads the rest.  libpq 17's chunked mode (many rows per result) is not
 * used: libpq is loaded at run time (pq_lib.h) and Debian 12 has 15.
 *
 * WRITERS ARE SERIALIZED STORE-WIDE.  begin() takes a transaction-scoped
 * advisory lock with the store's key after BEGIN, so that at most one
 * write transaction runs at a time on the whole database, from however
 * many processes and machines, exactly as SQLite's BEGIN IMMEDIATE does
 * on one file.  That is what keeps UID and MODSEQ allocation (read the
 * mailbox's counters, write the entry, raise the counters) free of
 * duplicates without each module knowing about row locks.  The wait for
 * it is bounded by lock_timeout, set to the busy timeout, and fails as
 * transient (SQLSTATE 55P03) like SQLITE_BUSY.
 *
 * A HANDLE OF AN EVENT LOOP WAITS BOUNDED (pg_reply_timeout(), the
 * loop_timeout_ms of store_open_loop()): every wait for the server's
 * next reply, and a connect, is cut off after it, the connection is
 * taken as lost (SQLSTATE 08006, transient) and dropped, so a server
 * that stalls or a network that drops every packet costs a worker's
 * clients one temporary error each, not a loop stuck until TCP gives
 * up.  Other handles (pool threads, daemons, oomgr) wait as long as a
 * statement takes: a slow statement is not a lost connection, and a
 * COMMIT cut off would leave its outcome unknown.
 *
 * A lost connection is made again on a later call, at most once per
 * back-off interval and never blocking longer than the busy timeout;
 * meanwhile every call fails as transient.  A call that finds an idle
 * connection broken (the server restarted since) connects again at once
 * and is sent again when that cannot repeat a write.  A connection lost inside a
 * transaction is made again only once store.c has closed that transaction
 * (its tx_depth is back to 0), so nothing half-done is ever continued in
 * autocommit.
 */
#ifdef EMS_HAVE_PG

#include "store_internal.h"
#include "store_pg.h"
#include "log.h"
#include "pq_lib.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* The advisory lock every write transaction takes: "ems" in ASCII, and
 * a hash of the schema the store is in.  Advisory locks are per
 * database, so stores in two databases, or in two schemas of one
 * (search_path), do not share it. */
#define PG_STORE_LOCK_KEY 0x656d73
/* Type oids of pg_type (fixed by PostgreSQL). */
#define PG_OID_BOOL  16
#define PG_OID_BYTEA 17
#define PG_OID_INT8  20
#define PG_OID_TEXT  25
/* Back-off between attempts to connect again: doubles up to the max. */
#define PG_RETRY_MIN_MS 100
#define PG_RETRY_MAX_MS 5000
/* A connect never waits less than this, even on a handle that never
 * waits for locks (busy timeout 0). */
#define PG_CONNECT_MIN_MS 50
/* Opening waits at least this long for the server to answer. */
#define PG_OPEN_MIN_MS 5000
#define PG_ERRMSG_MAX 512
/* A walk given up early reads at most this many more rows before it
 * cancels the rest of its query on the server (see abandon()): reading
 * 10,000 short rows costs about 13 ms, a cancel (a connection of its own
 * to the server, which forks for it) about 50 ms. */
#define PG_ABANDON_READS 10000

struct pg_conn {
	PGconn *conn;          /* NULL while lost */
	char *conninfo;
	int busy_ms;
	int reply_ms;          /* 0: wait for replies as long as they take */
	bool stalled;          /* a reply did not come within reply_ms */
	bool nowait;
	unsigned gen;          /* bumped on each connect: older prepares are gone */
	unsigned next_name;
	int64_t changes;
	uint64_t retry_at;     /* monotonic us before which no reconnect is tried */
	int backoff_ms;
	char sqlstate[6];
	char errmsg[PG_ERRMSG_MAX];
	struct pg_stmt *stream;   /* the statement whose rows are in flight */
};

struct pg_col {
	unsigned char *data;   /* PQunescapeBytea's, freed with PQfreemem */
	size_t len;
	bool decoded;
};

/* Rows read off the connection ahead of the walk, kept while another
 * statement needed the connection: per row and column a 32-bit length
 * (-1: NULL), the bytes and a NUL. */
struct pg_spill {
	char *buf;
	size_t len, cap;
	size_t at;             /* where the next row starts */
};

struct pg_stmt {
	struct pg_conn *pc;
	char *sql;             /* ?N rewritten to $N */
	int nparams;
	bool writes;           /* INSERT, UPDATE or DELETE */
	char name[24];
	unsigned gen;          /* connection generation it is prepared on; 0: not */
	Oid *types;
	const char **vals;
	int *lens;
	int *fmts;
	char (*ints)[24];
	/* the walk: rows [row, nrows) of RES, then the spill, then the
	 * connection while this is its stream */
	PGresult *res;
	int row, nrows;
	bool walking;          /* between the first step and a reset */
	bool ended;            /* the walk met its end or a failure */
	bool in_tx;            /* sent inside a transaction: never cancelled */
	struct pg_spill spill;
	char later_state[6];   /* a failure met while spilling, for the walk */
	char *later_msg;
	/* the current row's columns */
	int ncols;
	Oid *ftypes;
	const char **cur;      /* NULL: SQL NULL */
	int *curlen;
	bool has_row;
	struct pg_col *cols;
};

static struct pg_conn *pg(struct store *st)
{
	return st->conn;
}

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- errors ---- */

static void set_error(struct pg_conn *pc, const char *sqlstate, const char *msg)
{
	snprintf(pc->sqlstate, sizeof pc->sqlstate, "%s", sqlstate);
	snprintf(pc->errmsg, sizeof pc->errmsg, "%s", msg ? msg : "unknown error");
	/* libpq's messages end in a newline; a log line must not */
	size_t n = strlen(pc->errmsg);
	while (n > 0 && (pc->errmsg[n - 1] == '\n' || pc->errmsg[n - 1] == ' '))
		pc->errmsg[--n] = '\0';
}

static bool conn_ok(const struct pg_conn *pc)
{
	return pc->conn != NULL && !pc->stalled && pq_lib->status(pc->conn) == CONNECTION_OK;
}

/* Records the failure of RES (NULL: out of memory or the connection). */
static void set_result_error(struct pg_conn *pc, const PGresult *res)
{
	if (pc->stalled)
		return;   /* stall() said why; libpq knows of nothing wrong */
	const char *state = res ? pq_lib->resultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? pq_lib->resultErrorMessage(res) : NULL;
	if (msg == NULL || *msg == '\0')
		msg = pc->conn ? pq_lib->errorMessage(pc->conn) : "no connection";
	if (!conn_ok(pc))
		state = "08006";   /* connection failure, whatever the result said */
	set_error(pc, state ? state : "XX000", msg);
}

/* ---- waiting for replies ---- */

/* The reply did not come in time: the connection is given up (a query
 * may still be in flight on it) and dropped by the next ensure_conn(). */
static void stall(struct pg_conn *pc)
{
	char msg[96];
	snprintf(msg, sizeof msg, "no answer from the database within %d ms", pc->reply_ms);
	set_error(pc, "08006", msg);
	pc->stalled = true;
}

/* Waits until a reply can be read without blocking: true, or false
 * after stall() when reply_ms passed first.  A handle without a bound
 * leaves the wait to libpq. */
static bool await_reply(struct pg_conn *pc)
{
	if (pc->reply_ms <= 0 || pc->stalled)
		return !pc->stalled;
	uint64_t deadline = now_us() + (uint64_t)pc->reply_ms * 1000u;
	while (pq_lib->isBusy(pc->conn)) {
		uint64_t now = now_us();
		struct pollfd pfd = { .fd = pq_lib->socket(pc->conn), .events = POLLIN };
		int n = now >= deadline ? 0 : poll(&pfd, 1, (int)((deadline - now) / 1000u) + 1);
		if (n == 0) {
			stall(pc);
			return false;
		}
		if (n > 0 && !pq_lib->consumeInput(pc->conn))
			return true;   /* broken: PQgetResult reports it */
	}
	return true;
}

/* PQgetResult within the handle's bound: NULL also after a stall (the
 * callers that read NULL as "no more results" check pc->stalled). */
static PGresult *get_result(struct pg_conn *pc)
{
	return await_reply(pc) ? pq_lib->getResult(pc->conn) : NULL;
}

/* The last result of what was sent (a failure stops the server at that
 * statement, so it is the last), as PQexec returns it; NULL after a
 * stall or when SENT is false. */
static PGresult *last_result(struct pg_conn *pc, bool sent)
{
	PGresult *last = NULL, *r;
	if (!sent)
		return NULL;
	while ((r = get_result(pc)) != NULL) {
		pq_lib->clear(last);
		last = r;
	}
	if (pc->stalled) {
		pq_lib->clear(last);
		return NULL;
	}
	return last;
}

/* PQexec, PQprepare and PQexecPrepared within the handle's bound. */
static PGresult *exec_wait(struct pg_conn *pc, const char *sql)
{
	if (pc->reply_ms <= 0)
		return pq_lib->exec(pc->conn, sql);
	return last_result(pc, pq_lib->sendQuery(pc->conn, sql));
}

static PGresult *prepare_wait(struct pg_conn *pc, const char *name, const char *sql,
                              int nparams, const Oid *types)
{
	if (pc->reply_ms <= 0)
		return pq_lib->prepare(pc->conn, name, sql, nparams, types);
	return last_result(pc, pq_lib->sendPrepare(pc->conn, name, sql, nparams, types));
}

static PGresult *exec_prepared_wait(struct pg_conn *pc, const char *name, int nparams,
                                    const char *const *vals, const int *lens,
                                    const int *fmts)
{
	if (pc->reply_ms <= 0)
		return pq_lib->execPrepared(pc->conn, name, nparams, vals, lens, fmts, 0);
	return last_result(pc, pq_lib->sendQueryPrepared(pc->conn, name, nparams, vals,
	                                                 lens, fmts, 0));
}

/* SQLSTATE classes: 23 integrity, 08 connection, 53 resources, 57P0x
 * operator intervention (shutdown, restart); 40001/40P01 serialization
 * and deadlock; 55P03 lock_timeout. */
static enum store_error pg_classify(struct store *st)
{
	const char *s = pg(st)->sqlstate;
	if (*s == '\0')
		return STORE_E_NONE;
	if (strcmp(s, "23505") == 0)
		return STORE_E_EXISTS;
	if (strcmp(s, "23503") == 0)
		return STORE_E_NOTFOUND;   /* it points at something not there */
	if (strncmp(s, "23", 2) == 0)
		return STORE_E_INVALID;
	if (strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0 || strcmp(s, "55P03") == 0 ||
	    strncmp(s, "53", 2) == 0 || strncmp(s, "57P0", 4) == 0 || strncmp(s, "08", 2) == 0)
		return STORE_E_TRANSIENT;
	return STORE_E_FAILED;
}

static const char *pg_errmsg(struct store *st)
{
	return pg(st)->errmsg;
}

/* ---- the connection ---- */

/* libpq prints notices on stderr; they are not events worth a line. */
static void quiet_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* Connects to CONNINFO, waiting at most MS; NULL with the reason in PC. */
static PGconn *connect_within(struct pg_conn *pc, int ms)
{
	PGconn *c = pq_lib->connectStart(pc->conninfo);
	if (c == NULL) {
		set_error(pc, "08001", "out of memory");
		return NULL;
	}
	uint64_t deadline = now_us() + (uint64_t)ms * 1000u;
	/* as if PQconnectPoll had last said "writing" (libpq's protocol) */
	PostgresPollingStatusType ps = PGRES_POLLING_WRITING;
	while (pq_lib->status(c) != CONNECTION_BAD && ps != PGRES_POLLING_OK &&
	       ps != PGRES_POLLING_FAILED) {
		uint64_t now = now_us();
		struct pollfd pfd = { .fd = pq_lib->socket(c),
		                      .events = ps == PGRES_POLLING_READING ? POLLIN : POLLOUT };
		if (now >= deadline || poll(&pfd, 1, (int)((deadline - now) / 1000u) + 1) == 0) {
			set_error(pc, "08001", "connecting to the database timed out");
			pq_lib->finish(c);
			return NULL;
		}
		ps = pq_lib->connectPoll(c);
	}
	if (pq_lib->status(c) != CONNECTION_OK) {
		set_error(pc, "08001", pq_lib->errorMessage(c));
		pq_lib->finish(c);
		return NULL;
	}
	return c;
}

/* The session settings: how long a lock is waited for, and whether a
 * commit waits for its WAL flush (a nowait handle's need not). */
static int configure(struct pg_conn *pc)
{
	char sql[160];
	int lock_ms = pc->busy_ms > 0 ? pc->busy_ms : 1;   /* 0 would wait forever */
	snprintf(sql, sizeof sql,
	         "SET lock_timeout = %d; SET client_min_messages = warning;%s", lock_ms,
	         pc->nowait ? " SET synchronous_commit = off;" : "");
	PGresult *r = exec_wait(pc, sql);
	int ok = pq_lib->resultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		set_result_error(pc, r);
	pq_lib->clear(r);
	return ok ? 0 : -1;
}

static int connect_now(struct pg_conn *pc, int ms)
{
	PGconn *c = connect_within(pc, ms);
	if (c == NULL)
		return -1;
	pq_lib->setNoticeProcessor(c, quiet_notice, NULL);
	pc->conn = c;
	pc->gen++;
	if (configure(pc) < 0) {
		pq_lib->finish(c);
		pc->conn = NULL;
		return -1;
	}
	return 0;
}

/* 0 with a usable connection; else -1, transient, after one bounded
 * attempt to connect again when the back-off allows it and ST has no
 * transaction open. */
static void settle(struct pg_conn *pc);

static int ensure_conn(struct store *st)
{
	struct pg_conn *pc = pg(st);
	settle(pc);
	if (conn_ok(pc))
		return 0;
	if (pc->conn != NULL) {
		log_warn("store_pg_lost", "host=%s db=%s error=%s",
		         log_quote(pq_lib->host(pc->conn) ? pq_lib->host(pc->conn) : ""),
		         log_quote(pq_lib->db(pc->conn) ? pq_lib->db(pc->conn) : ""),
		         log_quote(pc->stalled ? pc->errmsg : pq_lib->errorMessage(pc->conn)));
		pq_lib->finish(pc->conn);
		pc->conn = NULL;
		pc->stalled = false;
		pc->stream = NULL;   /* its rows went with the connection */
		pc->retry_at = 0;
		pc->backoff_ms = PG_RETRY_MIN_MS;
	}
	if (st->tx_depth > 0) {
		set_error(pc, "08006", "database connection lost inside a transaction");
		return -1;
	}
	if (now_us() < pc->retry_at) {
		set_error(pc, "08006", "database connection lost, waiting to reconnect");
		return -1;
	}
	int ms = pc->busy_ms > PG_CONNECT_MIN_MS ? pc->busy_ms : PG_CONNECT_MIN_MS;
	if (pc->reply_ms > 0 && pc->reply_ms < ms)
		ms = pc->reply_ms;
	if (connect_now(pc, ms) < 0) {
		pc->retry_at = now_us() + (uint64_t)pc->backoff_ms * 1000u;
		pc->backoff_ms = pc->backoff_ms * 2 < PG_RETRY_MAX_MS ? pc->backoff_ms * 2
		                                                      : PG_RETRY_MAX_MS;
		return -1;
	}
	log_info("store_pg_reconnected", "db=%s", log_quote(pq_lib->db(pc->conn)));
	pc->backoff_ms = PG_RETRY_MIN_MS;
	return 0;
}

static int pg_open(struct store *st, const char *target, int busy_ms, bool nowait)
{
	/* libpq is loaded here; every other function runs on a handle this made */
	char why[256];
	if (pq_lib_load(why, sizeof why) == NULL) {
		log_error("store_open", "backend=postgresql error=%s", log_quote(why));
		return -1;
	}
	struct pg_conn *pc = calloc(1, sizeof *pc);
	if (pc == NULL || (pc->conninfo = strdup(target)) == NULL) {
		free(pc);
		log_error("store_open", "backend=postgresql error=\"out of memory\"");
		return -1;
	}
	pc->busy_ms = busy_ms;
	pc->nowait = nowait;
	pc->backoff_ms = PG_RETRY_MIN_MS;
	st->conn = pc;
	if (connect_now(pc, busy_ms > PG_OPEN_MIN_MS ? busy_ms : PG_OPEN_MIN_MS) < 0) {
		/* the conninfo may hold a password: never logged */
		log_error("store_open", "backend=postgresql error=%s", log_quote(pc->errmsg));
		return -1;
	}
	return 0;
}

static void pg_reply_timeout(struct store *st, int ms)
{
	pg(st)->reply_ms = ms;
}

static void pg_close(struct store *st)
{
	struct pg_conn *pc = pg(st);
	if (pc == NULL)
		return;
	pq_lib->finish(pc->conn);
	free(pc->conninfo);
	free(pc);
	st->conn = NULL;
}

/* ---- statements ---- */

/* Rewrites SQL's ?N to $N into a new string, skipping quoted strings,
 * quoted names and comments; *NPARAMS gets the highest N.  NULL when SQL
 * has a bare '?' (store_db.h allows numbered parameters only). */
static char *rewrite_params(const char *sql, int *nparams)
{
	size_t n = strlen(sql);
	char *out = malloc(n + 1);   /* ?N and $N are the same length */
	if (out == NULL)
		return NULL;
	int max = 0;
	char quote = 0;
	bool comment = false;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char c = sql[i];
		if (comment) {
			comment = c != '\n';
		} else if (quote) {
			if (c == quote)
				quote = 0;   /* a doubled quote reopens at once */
		} else if (c == '\'' || c == '"') {
			quote = c;
		} else if (c == '-' && sql[i + 1] == '-') {
			comment = true;
		} else if (c == '?') {
			if (sql[i + 1] < '0' || sql[i + 1] > '9') {
				free(out);
				return NULL;
			}
			int v = atoi(sql + i + 1);
			if (v > max)
				max = v;
			c = '$';
		}
		out[o++] = c;
	}
	out[o] = '\0';
	*nparams = max;
	return out;
}

/* True when SQL is an INSERT, UPDATE or DELETE. */
static bool changes_rows(const char *sql)
{
	while (*sql == ' ' || *sql == '\n' || *sql == '\t')
		sql++;
	return strncasecmp(sql, "INSERT", 6) == 0 || strncasecmp(sql, "UPDATE", 6) == 0 ||
	       strncasecmp(sql, "DELETE", 6) == 0;
}

static void *zalloc(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

static void free_stmt(struct pg_stmt *s)
{
	free(s->types);
	free(s->vals);
	free(s->lens);
	free(s->fmts);
	free(s->ints);
	free(s->sql);
	free(s);
}

static void *pg_prepare(struct store *st, const char *sql)
{
	struct pg_conn *pc = pg(st);
	struct pg_stmt *s = calloc(1, sizeof *s);
	if (s == NULL) {
		set_error(pc, "53200", "out of memory");
		return NULL;
	}
	s->pc = pc;
	s->sql = rewrite_params(sql, &s->nparams);
	if (s->sql == NULL) {
		set_error(pc, "42601", "a bare ? in SQL: parameters are ?1 .. ?N");
		free(s);
		return NULL;
	}
	int np = s->nparams;
	s->types = zalloc((size_t)np, sizeof *s->types);
	s->vals = zalloc((size_t)np, sizeof *s->vals);
	s->lens = zalloc((size_t)np, sizeof *s->lens);
	s->fmts = zalloc((size_t)np, sizeof *s->fmts);
	s->ints = zalloc((size_t)np, sizeof *s->ints);
	if (!s->types || !s->vals || !s->lens || !s->fmts || !s->ints) {
		set_error(pc, "53200", "out of memory");
		free_stmt(s);
		return NULL;
	}
	snprintf(s->name, sizeof s->name, "ems_%u", ++pc->next_name);
	s->writes = changes_rows(sql);
	return s;
}

static void clear_cols(struct pg_stmt *s)
{
	for (int i = 0; i < s->ncols; i++) {
		pq_lib->freemem(s->cols[i].data);
		s->cols[i] = (struct pg_col){ 0 };
	}
	s->has_row = false;
}

/* Forgets S's walk: its result, spill and columns. */
static void clear_result(struct pg_stmt *s)
{
	clear_cols(s);
	free(s->cols);
	free(s->ftypes);
	free(s->cur);
	free(s->curlen);
	s->cols = NULL;
	s->ftypes = NULL;
	s->cur = NULL;
	s->curlen = NULL;
	s->ncols = 0;
	pq_lib->clear(s->res);
	s->res = NULL;
	s->row = s->nrows = 0;
	free(s->spill.buf);
	s->spill = (struct pg_spill){ 0 };
	free(s->later_msg);
	s->later_msg = NULL;
	s->later_state[0] = '\0';
	s->walking = s->ended = false;
}

static void abandon(struct pg_conn *pc);
static void settle(struct pg_conn *pc);

static void pg_reset(void *stmt)
{
	struct pg_stmt *s = stmt;
	if (s->pc->stream == s)
		abandon(s->pc);
	clear_result(s);
	for (int i = 0; i < s->nparams; i++) {
		s->vals[i] = NULL;
		s->lens[i] = 0;
		s->fmts[i] = 0;
	}
}

static void pg_finalize(void *stmt)
{
	struct pg_stmt *s = stmt;
	if (s == NULL)
		return;
	struct pg_conn *pc = s->pc;
	if (pc->stream == s)
		abandon(pc);
	settle(pc);
	clear_result(s);
	/* a statement evicted from the cache leaves the server too */
	if (s->gen == pc->gen && conn_ok(pc) &&
	    pq_lib->transactionStatus(pc->conn) != PQTRANS_INERROR) {
		char sql[48];
		snprintf(sql, sizeof sql, "DEALLOCATE %s", s->name);
		pq_lib->clear(exec_wait(pc, sql));
	}
	free_stmt(s);
}

static bool pg_busy(void *stmt)
{
	const struct pg_stmt *s = stmt;
	return s->walking && !s->ended;
}

/* Parameter I (from 1) of S, or -1 when out of range (ignored, as
 * SQLite's bind returns SQLITE_RANGE and the modules do not check). */
static int param(const struct pg_stmt *s, int i)
{
	return i >= 1 && i <= s->nparams ? i - 1 : -1;
}

static void pg_bind_int64(void *stmt, int i, int64_t v)
{
	struct pg_stmt *s = stmt;
	int k = param(s, i);
	if (k < 0)
		return;
	snprintf(s->ints[k], sizeof s->ints[k], "%lld", (long long)v);
	s->vals[k] = s->ints[k];
	s->lens[k] = 0;
	s->fmts[k] = 0;
	if (s->gen == 0)
		s->types[k] = PG_OID_INT8;
}

static void pg_bind_text(void *stmt, int i, const char *v)
{
	struct pg_stmt *s = stmt;
	int k = param(s, i);
	if (k < 0)
		return;
	s->vals[k] = v;
	s->lens[k] = 0;
	s->fmts[k] = 0;
	if (s->gen == 0 && v != NULL)
		s->types[k] = PG_OID_TEXT;
}

static void pg_bind_blob(void *stmt, int i, const void *p, size_t n)
{
	struct pg_stmt *s = stmt;
	int k = param(s, i);
	if (k < 0)
		return;
	s->vals[k] = n > 0 ? p : "";   /* an empty blob is not NULL */
	s->lens[k] = (int)n;
	s->fmts[k] = 1;
	if (s->gen == 0)
		s->types[k] = PG_OID_BYTEA;
}

static void pg_bind_null(void *stmt, int i)
{
	struct pg_stmt *s = stmt;
	int k = param(s, i);
	if (k < 0)
		return;
	s->vals[k] = NULL;
}

/* Prepares S on the current connection, with the types of its first
 * bindings (int8, text, bytea; a NULL: the server's guess), so that a
 * parameter means the same wherever it stands. */
static int ensure_prepared(struct pg_conn *pc, struct pg_stmt *s)
{
	if (s->gen == pc->gen)
		return 0;
	PGresult *r = prepare_wait(pc, s->name, s->sql, s->nparams, s->types);
	int ok = pq_lib->resultStatus(r) == PGRES_COMMAND_OK;
	if (ok)
		s->gen = pc->gen;
	else
		set_result_error(pc, r);
	pq_lib->clear(r);
	return ok ? 0 : -1;
}

/* Rows changed, from the command tag of a DML statement. */
static void note_changes(struct pg_conn *pc, PGresult *r)
{
	const char *tag = pq_lib->cmdStatus(r);
	if (strncmp(tag, "INSERT", 6) == 0 || strncmp(tag, "UPDATE", 6) == 0 ||
	    strncmp(tag, "DELETE", 6) == 0 || strncmp(tag, "MERGE", 5) == 0)
		pc->changes = strtoll(pq_lib->cmdTuples(r), NULL, 10);
}

/* ---- rows as they arrive ---- */

/* One row per result (libpq's single-row mode). */
static void stream_mode(PGconn *c)
{
	pq_lib->setSingleRowMode(c);
}

static bool partial(ExecStatusType rs)
{
	return rs == PGRES_SINGLE_TUPLE;
}

/* True for a result that carries rows or ends a statement well. */
static bool good(ExecStatusType rs)
{
	return partial(rs) || rs == PGRES_TUPLES_OK || rs == PGRES_COMMAND_OK;
}

/* Sets up S's columns from RES, the first result of its walk: 0, or -1
 * out of memory. */
static int shape(struct pg_stmt *s, const PGresult *res)
{
	if (s->cur != NULL)
		return 0;
	size_t n = (size_t)pq_lib->nfields(res);
	s->cols = zalloc(n, sizeof *s->cols);
	s->ftypes = zalloc(n, sizeof *s->ftypes);
	s->curlen = zalloc(n, sizeof *s->curlen);
	s->cur = zalloc(n, sizeof *s->cur);
	if (!s->cols || !s->ftypes || !s->curlen || !s->cur)
		return -1;
	for (size_t i = 0; i < n; i++)
		s->ftypes[i] = pq_lib->ftype(res, (int)i);
	s->ncols = (int)n;
	return 0;
}

/* Makes row S->row of S->res the current one. */
static void load_res_row(struct pg_stmt *s)
{
	for (int i = 0; i < s->ncols; i++) {
		bool null = pq_lib->getisnull(s->res, s->row, i);
		s->cur[i] = null ? NULL : pq_lib->getvalue(s->res, s->row, i);
		s->curlen[i] = null ? 0 : pq_lib->getlength(s->res, s->row, i);
	}
	s->has_row = true;
}

/* Makes the next row of S's spill the current one. */
static void load_spill_row(struct pg_stmt *s)
{
	struct pg_spill *sp = &s->spill;
	for (int i = 0; i < s->ncols; i++) {
		int32_t n;
		memcpy(&n, sp->buf + sp->at, sizeof n);
		sp->at += sizeof n;
		s->cur[i] = n < 0 ? NULL : sp->buf + sp->at;
		s->curlen[i] = n < 0 ? 0 : n;
		sp->at += (n < 0 ? 0 : (size_t)n) + 1;
	}
	s->has_row = true;
}

/* Appends row K of RES to S's spill: 0, or -1 out of memory. */
static int spill_row(struct pg_stmt *s, const PGresult *res, int k)
{
	struct pg_spill *sp = &s->spill;
	size_t need = 0;
	for (int i = 0; i < s->ncols; i++)
		need += sizeof(int32_t) + (size_t)pq_lib->getlength(res, k, i) + 1;
	if (sp->len + need > sp->cap) {
		size_t cap = sp->cap ? sp->cap : 4096;
		while (cap < sp->len + need)
			cap *= 2;
		char *b = realloc(sp->buf, cap);
		if (b == NULL)
			return -1;
		sp->buf = b;
		sp->cap = cap;
	}
	for (int i = 0; i < s->ncols; i++) {
		int32_t n = pq_lib->getisnull(res, k, i) ? -1 : pq_lib->getlength(res, k, i);
		memcpy(sp->buf + sp->len, &n, sizeof n);
		sp->len += sizeof n;
		if (n > 0)
			memcpy(sp->buf + sp->len, pq_lib->getvalue(res, k, i), (size_t)n);
		sp->len += n > 0 ? (size_t)n : 0;
		sp->buf[sp->len++] = '\0';
	}
	return 0;
}

/* Reads the rest of the query in flight, dropping it. */
static void end_stream(struct pg_conn *pc)
{
	PGresult *r;
	while ((r = get_result(pc)) != NULL)
		pq_lib->clear(r);
	pc->stream = NULL;
}

/* Takes the next rows of S's stream off the connection into S:
 * STORE_ROW, STORE_DONE, or -1 recorded on PC. */
static int fetch(struct pg_conn *pc, struct pg_stmt *s)
{
	for (;;) {
		PGresult *r = get_result(pc);
		if (r == NULL) {
			pc->stream = NULL;
			return pc->stalled ? -1 : STORE_DONE;
		}
		ExecStatusType rs = pq_lib->resultStatus(r);
		if (!good(rs) || shape(s, r) < 0) {
			if (good(rs))
				set_error(pc, "53200", "out of memory");
			else
				set_result_error(pc, r);
			pq_lib->clear(r);
			end_stream(pc);
			return -1;
		}
		bool last = !partial(rs);
		if (last) {
			note_changes(pc, r);
			end_stream(pc);
		}
		if (pq_lib->ntuples(r) > 0) {
			s->res = r;
			s->row = 0;
			s->nrows = pq_lib->ntuples(r);
			load_res_row(s);
			return STORE_ROW;
		}
		pq_lib->clear(r);
		if (last)
			return STORE_DONE;
	}
}

/* Moves S to its next row: from its result, then its spill, then the
 * connection.  STORE_ROW, STORE_DONE, or -1 recorded on PC. */
static int next_row(struct pg_conn *pc, struct pg_stmt *s)
{
	clear_cols(s);
	if (s->res != NULL && ++s->row < s->nrows) {
		load_res_row(s);
		return STORE_ROW;
	}
	pq_lib->clear(s->res);
	s->res = NULL;
	if (s->spill.at < s->spill.len) {
		load_spill_row(s);
		return STORE_ROW;
	}
	if (s->later_state[0] != '\0') {
		set_error(pc, s->later_state, s->later_msg);
		return -1;
	}
	return pc->stream == s ? fetch(pc, s) : STORE_DONE;
}

/* The connection is wanted for another statement: the rest of the
 * stream's rows go to its spill, and a failure among them is kept for
 * the walk to meet where it happened. */
static void spill_stream(struct pg_conn *pc)
{
	struct pg_stmt *s = pc->stream;
	PGresult *r;
	while ((r = get_result(pc)) != NULL) {
		ExecStatusType rs = pq_lib->resultStatus(r);
		bool failed = s->later_state[0] != '\0';
		if (!failed && !good(rs)) {
			set_result_error(pc, r);
			failed = true;
		}
		for (int k = 0; !failed && k < pq_lib->ntuples(r); k++) {
			if (spill_row(s, r, k) < 0) {
				set_error(pc, "53200", "out of memory");
				failed = true;
			}
		}
		if (failed && s->later_state[0] == '\0') {
			memcpy(s->later_state, pc->sqlstate, sizeof s->later_state);
			s->later_msg = strdup(pc->errmsg);
		}
		if (rs == PGRES_TUPLES_OK || rs == PGRES_COMMAND_OK)
			note_changes(pc, r);
		pq_lib->clear(r);
	}
	if (pc->stalled && s->later_state[0] == '\0') {   /* the walk meets it */
		memcpy(s->later_state, pc->sqlstate, sizeof s->later_state);
		s->later_msg = strdup(pc->errmsg);
	}
	pc->stream = NULL;
}

static void settle(struct pg_conn *pc)
{
	if (pc->stream != NULL)
		spill_stream(pc);
}

/* Asks the server to stop the query in flight.  The request goes on a
 * connection of its own; a query that has ended already is not hurt. */
static void cancel(struct pg_conn *pc)
{
	char err[256];
	PGcancel *c = pq_lib->getCancel(pc->conn);
	if (c == NULL)
		return;
	if (!pq_lib->cancel(c, err, sizeof err))
		log_info("store_pg_cancel", "error=%s", log_quote(err));
	pq_lib->freeCancel(c);
}

/* Ends the stream of a walk given up early.  What is already on its way
 * is read and dropped; a rest longer than that is cancelled on the
 * server, unless the query runs in a transaction (the cancel would
 * abort it): there the rest is read and dropped. */
static void abandon(struct pg_conn *pc)
{
	for (int n = 0; n < PG_ABANDON_READS; n++) {
		PGresult *r = get_result(pc);
		if (r == NULL) {
			pc->stream = NULL;
			return;
		}
		pq_lib->clear(r);
	}
	if (!pc->stream->in_tx)
		cancel(pc);
	end_stream(pc);
}

/* ---- running statements ---- */

static int pg_begin(struct store *st);
static int pg_commit(struct store *st);
static void pg_rollback(struct store *st);

/* Sends S, a read, and takes its first row: its rows come as the walk
 * asks for them (see the top of this file). */
static int send_read(struct pg_conn *pc, struct pg_stmt *s)
{
	s->in_tx = pq_lib->transactionStatus(pc->conn) != PQTRANS_IDLE;
	if (!pq_lib->sendQueryPrepared(pc->conn, s->name, s->nparams, s->vals, s->lens, s->fmts, 0)) {
		set_result_error(pc, NULL);
		return -1;
	}
	/* refused only when too late, which it is not: a refusal would
	 * bring all rows in one result, which the walk reads as well */
	stream_mode(pc->conn);
	pc->stream = s;
	return fetch(pc, s);
}

/* Runs S, a write, and takes its first row.  A write outside a
 * transaction runs in one of its own, under the write lock, as an SQLite
 * autocommit write takes that file's lock: no write ever runs beside
 * another's transaction. */
static int run_write(struct store *st, struct pg_stmt *s, bool *safe)
{
	struct pg_conn *pc = pg(st);
	bool implicit = pq_lib->transactionStatus(pc->conn) == PQTRANS_IDLE;
	if (implicit && pg_begin(st) < 0)
		return -1;
	*safe = false;
	PGresult *r = exec_prepared_wait(pc, s->name, s->nparams, s->vals, s->lens, s->fmts);
	ExecStatusType rs = pq_lib->resultStatus(r);
	if (rs != PGRES_TUPLES_OK && rs != PGRES_COMMAND_OK) {
		set_result_error(pc, r);
		pq_lib->clear(r);
		if (implicit)
			pg_rollback(st);
		return -1;
	}
	if (implicit && pg_commit(st) < 0) {
		pq_lib->clear(r);
		return -1;
	}
	note_changes(pc, r);
	s->res = r;
	s->nrows = pq_lib->ntuples(r);
	s->row = -1;
	if (shape(s, r) < 0) {
		set_error(pc, "53200", "out of memory");
		return -1;
	}
	return next_row(pc, s);
}

/* Runs S: its first STORE_ROW or STORE_DONE, or -1.  *SAFE: S may be
 * sent again (it reads, or failed before its write was sent). */
static int run_once(struct store *st, struct pg_stmt *s, bool *safe)
{
	struct pg_conn *pc = pg(st);
	*safe = true;
	clear_result(s);
	if (ensure_conn(st) < 0 || ensure_prepared(pc, s) < 0)
		return -1;
	s->walking = true;
	return s->writes ? run_write(st, s, safe) : send_read(pc, s);
}

/* True when ST's connection is broken and the store had no transaction
 * open on it. */
static bool lost_idle(struct store *st)
{
	return !conn_ok(pg(st)) && st->tx_depth == 0;
}

/* A connection that broke while idle (the server restarted) shows only
 * when something is sent on it: then S is sent once more on a new one,
 * when that cannot repeat a change (S reads, or failed before its write
 * was sent).  A failed run leaves S as before its first step. */
static int run(struct store *st, struct pg_stmt *s)
{
	bool safe;
	int r = run_once(st, s, &safe);
	if (r < 0 && safe && lost_idle(st))
		r = run_once(st, s, &safe);
	if (r < 0)
		clear_result(s);
	return r;
}

static int pg_step(struct store *st, void *stmt)
{
	struct pg_stmt *s = stmt;
	if (s->ended)
		return STORE_DONE;
	int r = s->walking ? next_row(pg(st), s) : run(st, s);
	if (s->walking && r != STORE_ROW)
		s->ended = true;
	return r;
}

/* Column I of the current row, or NULL when there is none. */
static const char *value(const struct pg_stmt *s, int i)
{
	if (!s->has_row || i < 0 || i >= s->ncols)
		return NULL;
	return s->cur[i];
}

/* Text value V of a column of type TYPE as an integer. */
static int64_t int_of(const char *v, Oid type)
{
	if (type == PG_OID_BOOL)   /* a comparison's value */
		return *v == 't';
	return strtoll(v, NULL, 10);
}

static int64_t pg_col_int64(void *stmt, int i)
{
	const struct pg_stmt *s = stmt;
	const char *v = value(s, i);
	return v ? int_of(v, s->ftypes[i]) : 0;
}

static bool pg_col_null(void *stmt, int i)
{
	return value(stmt, i) == NULL;
}

static const char *pg_col_text(void *stmt, int i)
{
	const char *v = value(stmt, i);
	return v ? v : "";
}

static const void *pg_col_blob(void *stmt, int i, size_t *len)
{
	struct pg_stmt *s = stmt;
	const char *v = value(s, i);
	*len = 0;
	if (v == NULL)
		return NULL;
	if (s->ftypes[i] != PG_OID_BYTEA) {
		*len = (size_t)s->curlen[i];
		return *len ? v : NULL;
	}
	struct pg_col *c = &s->cols[i];
	if (!c->decoded) {
		c->data = pq_lib->unescapeBytea((const unsigned char *)v, &c->len);
		c->decoded = true;
		if (c->data == NULL)
			c->len = 0;
	}
	*len = c->len;
	return c->len ? c->data : NULL;
}

static int64_t pg_changes(struct store *st)
{
	return pg(st)->changes;
}

/* ---- plain SQL and transactions ---- */

/* Runs SQL (one or more statements); the last result, or NULL after
 * recording the failure. */
static PGresult *exec_once(struct store *st, const char *sql)
{
	struct pg_conn *pc = pg(st);
	if (ensure_conn(st) < 0)
		return NULL;
	PGresult *r = exec_wait(pc, sql);
	ExecStatusType rs = pq_lib->resultStatus(r);
	if (rs != PGRES_COMMAND_OK && rs != PGRES_TUPLES_OK) {
		set_result_error(pc, r);
		pq_lib->clear(r);
		return NULL;
	}
	note_changes(pc, r);
	return r;
}

/* The same, sent once more on a new connection as run() does, unless SQL
 * writes. */
static PGresult *exec_sql(struct store *st, const char *sql)
{
	PGresult *r = exec_once(st, sql);
	if (r == NULL && !changes_rows(sql) && lost_idle(st))
		r = exec_once(st, sql);
	return r;
}

static int pg_exec(struct store *st, const char *sql)
{
	PGresult *r = exec_sql(st, sql);
	pq_lib->clear(r);
	return r ? 0 : -1;
}

int store_pg_query_int(struct store *st, const char *sql, int64_t *out)
{
	PGresult *r = exec_sql(st, sql);
	if (r == NULL)
		return -1;
	int found = pq_lib->ntuples(r) > 0 && pq_lib->nfields(r) > 0;
	if (found)
		*out = int_of(pq_lib->getvalue(r, 0, 0), pq_lib->ftype(r, 0));
	pq_lib->clear(r);
	return found ? 0 : 1;
}

static void pg_rollback(struct store *st)
{
	struct pg_conn *pc = pg(st);
	settle(pc);
	if (conn_ok(pc) && pq_lib->transactionStatus(pc->conn) != PQTRANS_IDLE)
		pq_lib->clear(exec_wait(pc, "ROLLBACK"));
}

static int pg_begin(struct store *st)
{
	struct pg_conn *pc = pg(st);
	char sql[160];
	/* a lazy transaction (store_begin_lazy()) commits without waiting for
	 * its WAL flush; SET LOCAL ends with it */
	snprintf(sql, sizeof sql, "BEGIN;%s SELECT %s(%d, hashtext(current_schema()))",
	         st->lazy && !pc->nowait ? " SET LOCAL synchronous_commit = off;" : "",
	         pc->nowait ? "pg_try_advisory_xact_lock" : "pg_advisory_xact_lock",
	         PG_STORE_LOCK_KEY);
	PGresult *r = exec_sql(st, sql);
	if (r == NULL) {
		pg_rollback(st);
		return -1;
	}
	/* pg_try_advisory_xact_lock says f when another writer holds it */
	bool got = !pc->nowait || (pq_lib->ntuples(r) == 1 && *pq_lib->getvalue(r, 0, 0) == 't');
	pq_lib->clear(r);
	if (!got) {
		set_error(pc, "55P03", "the store is locked by another writer");
		pg_rollback(st);
		return -1;
	}
	return 0;
}

static int pg_commit(struct store *st)
{
	struct pg_conn *pc = pg(st);
	settle(pc);
	if (!conn_ok(pc)) {
		set_error(pc, "08006", "database connection lost before commit");
		return -1;
	}
	if (pq_lib->transactionStatus(pc->conn) != PQTRANS_INTRANS) {
		/* COMMIT of an aborted transaction would answer ROLLBACK */
		set_error(pc, "25P02", "transaction aborted by an earlier error");
		pg_rollback(st);
		return -1;
	}
	PGresult *r = exec_wait(pc, "COMMIT");
	bool ok = pq_lib->resultStatus(r) == PGRES_COMMAND_OK && strcmp(pq_lib->cmdStatus(r), "COMMIT") == 0;
	if (!ok)
		set_result_error(pc, r);
	pq_lib->clear(r);
	return ok ? 0 : -1;
}

/* An aborted transaction (a statement failed) is still open: it takes a
 * ROLLBACK or ROLLBACK TO SAVEPOINT, as store.c issues. */
static bool pg_in_tx(struct store *st)
{
	struct pg_conn *pc = pg(st);
	if (!conn_ok(pc))
		return false;
	if (pc->stream != NULL)   /* the server says "active" meanwhile */
		return pc->stream->in_tx;
	PGTransactionStatusType ts = pq_lib->transactionStatus(pc->conn);
	return ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR || ts == PQTRANS_ACTIVE;
}

const struct store_driver store_driver_pg = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.reply_timeout = pg_reply_timeout,
	.schema_apply = store_pg_schema_apply,
	.schema_version = store_pg_schema_version,
	.prepare = pg_prepare,
	.finalize = pg_finalize,
	.reset = pg_reset,
	.busy = pg_busy,
	.bind_int64 = pg_bind_int64,
	.bind_text = pg_bind_text,
	.bind_blob = pg_bind_blob,
	.bind_null = pg_bind_null,
	.step = pg_step,
	.col_int64 = pg_col_int64,
	.col_null = pg_col_null,
	.col_text = pg_col_text,
	.col_blob = pg_col_blob,
	.changes = pg_changes,
	.exec = pg_exec,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.in_tx = pg_in_tx,
	.classify = pg_classify,
	.errmsg = pg_errmsg,
};

#endif /* EMS_HAVE_PG */
