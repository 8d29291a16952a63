/*
 * lmtp_session.c - one LMTP conversation (RFC 2033) of smtpgw's daemon:
 * LHLO, MAIL FROM with SIZE and BODY=8BITMIME, RCPT TO answered per
 * recipient from the directory (unknown 550, over quota 452), DATA
 * answered once per accepted recipient after the durable commit,
 * PIPELINING (every buffered command is answered in order, replies go
 * out together), ENHANCEDSTATUSCODES, STARTTLS (RFC 3207) on TCP when
 * the service has a certificate.  Commands are parsed by lmtp_cmd.c, the
 * message text decoded by lmtp_data.c into smtpgw_message.c's buffer (a
 * spool file past 64 KiB) and queued (or, for plain local persons,
 * filed: deliver_local.c) by smtpgw_submit.c in a job on the store pool
 * (libcommon/store_pool.h), whose writes share one commit with the other
 * sessions' (group commit): the session reads nothing until the commit
 * is done and answered.  The connection itself (socket, TLS, idle
 * timer, back-pressure) is libcommon's client_conn.
 */
#include "lmtp_session.h"

#include "client_conn.h"
#include "config.h"
#include "iobuf.h"
#include "lmtp_cmd.h"
#include "lmtp_data.h"
#include "log.h"
#include "recipient.h"
#include "smtpgw.h"
#include "store.h"
#include "store_pool.h"
#include "store_read.h"
#include "worker.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Input buffer: bounds a command line; DATA is read through it in
 * chunks of up to this size, whatever its line lengths. */
#define LMTP_INPUT_MAX 65536
/* Output queued above this stops reading until the client catches up. */
#define LMTP_OUT_HIGH_WATER 65536
/* Bad commands in one session before it is closed. */
#define LMTP_ERRORS_MAX 20
#define LMTP_RECEIVED_MAX 1024

struct accepted_rcpt {
	char address[ADDR_MAX + 1];     /* as given, normalized */
	struct rcpt_info info;
	bool over_quota;                /* found at the end of DATA */
};

struct lmtp_session {
	struct client_conn conn;
	struct smtpgw *g;
	struct worker *w;               /* its pool runs the queue commit */
	char peer[128];
	char session[48];               /* "smtpgw01.N" in log lines */
	char helo[256];
	bool greeted, in_mail, in_data;
	char sender[ADDR_MAX + 1];
	int64_t size_hint;
	struct accepted_rcpt *rcpts;
	size_t nrcpt, max_rcpt;
	struct message_buf msg;
	struct lmtp_data data;          /* decoder state inside DATA */
	int errors;
	struct store_job *job;          /* a RCPT's lookup or the queue commit in
	                                   flight, or NULL: input waits */
};

/* The queue commit of one message, run on a pool thread: it owns what
 * it needs, since the session may be gone before it ends. */
struct queue_job {
	struct lmtp_session *s;
	struct message_buf msg;         /* taken from the session */
	char sender[ADDR_MAX + 1];
	struct accepted_rcpt *rcpts;    /* a copy of the session's */
	size_t nrcpt;
	const char **addrs;             /* the recipients that fit */
	size_t n;
	struct submit_result res;       /* queued, or filed in one hop */
};

static void reply(struct lmtp_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void reply(struct lmtp_session *s, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof line - 3)
		n = (int)sizeof line - 3;
	memcpy(line + n, "\r\n", 2);
	ios_write(s->conn.ios, line, (size_t)n + 2);
}

static void session_free(struct lmtp_session *s)
{
	if (s->in_data)
		log_info("lmtp_dropped", "session=%s peer=%s rcpts=%zu", s->session,
		         log_quote(s->peer), s->nrcpt);
	store_job_cancel(s->job);
	client_conn_close(&s->conn);
	msgbuf_free(&s->msg);
	free(s->rcpts);
	free(s);
}

static void transaction_reset(struct lmtp_session *s)
{
	s->in_mail = s->in_data = false;
	s->sender[0] = '\0';
	s->size_hint = -1;
	s->nrcpt = 0;
	msgbuf_free(&s->msg);
}

/* Says goodbye (REPLY may be NULL) and closes once the output is out. */
static void session_end(struct lmtp_session *s, const char *text)
{
	if (text != NULL)
		reply(s, "%s", text);
	s->conn.closing = true;
}

static void bad_command(struct lmtp_session *s, const char *text)
{
	reply(s, "%s", text);
	if (++s->errors >= LMTP_ERRORS_MAX) {
		log_info("lmtp_errors", "peer=%s errors=%d", log_quote(s->peer), s->errors);
		session_end(s, "421 4.7.0 Too many errors, closing");
	}
}

static void cmd_lhlo(struct lmtp_session *s, const struct lmtp_cmd *c)
{
	snprintf(s->helo, sizeof s->helo, "%s", c->arg);
	transaction_reset(s);
	reply(s, "250-%s", s->g->node);
	reply(s, "250-PIPELINING");
	reply(s, "250-ENHANCEDSTATUSCODES");
	/* The text is stored as it came, 8-bit bytes too; SMTPUTF8 is not
	 * offered: addresses are ASCII (address.h). */
	reply(s, "250-8BITMIME");
	if (s->conn.tls_ctx != NULL && s->conn.tls_state == CLIENT_TLS_NONE)
		reply(s, "250-STARTTLS");
	reply(s, "250 SIZE %lld", (long long)s->g->max_size);
}

/* RFC 3207: the handshake starts once the 220 is out; what the client
 * said before (LHLO) is forgotten. */
static void cmd_starttls(struct lmtp_session *s)
{
	if (s->conn.tls_ctx == NULL)
		return bad_command(s, "502 5.5.1 STARTTLS is not offered here");
	if (s->conn.tls_state != CLIENT_TLS_NONE)
		return bad_command(s, "503 5.5.1 TLS is already active");
	/* commands pipelined behind STARTTLS would run inside TLS unprotected */
	if (ios_in_buffered(s->conn.ios) > 0)
		return bad_command(s, "503 5.5.1 STARTTLS must be the last command sent");
	s->helo[0] = '\0';
	transaction_reset(s);
	s->conn.tls_state = CLIENT_TLS_STARTING;
	reply(s, "220 2.0.0 Ready to start TLS");
}

static void cmd_mail(struct lmtp_session *s, const struct lmtp_cmd *c)
{
	if (s->helo[0] == '\0')
		return bad_command(s, "503 5.5.1 Send LHLO first");
	if (s->in_mail)
		return bad_command(s, "503 5.5.1 Nested MAIL command");
	if (c->size > s->g->max_size)
		return reply(s, "552 5.3.4 Message size exceeds the limit of %lld bytes",
		             (long long)s->g->max_size);
	transaction_reset(s);
	snprintf(s->sender, sizeof s->sender, "%s", c->path);
	s->size_hint = c->size;
	s->in_mail = true;
	reply(s, "250 2.1.0 Sender OK");
}

/* The reply to RCPT for INFO (a message of SIZE_HINT bytes), read
 * through ST, or NULL to accept it. */
static const char *rcpt_refusal(struct store *st, const struct rcpt_info *info,
                                int64_t size_hint)
{
	bool over;
	switch (info->kind) {
	case RCPT_PERSON:
		if ((info->services & STORE_SVC_LMTP) == 0)
			return "550 5.2.1 <%s> Mailbox disabled";
		if (rcpt_over_quota(st, info, size_hint > 0 ? size_hint : 0, &over) < 0)
			return "451 4.3.0 <%s> Temporary failure, try again later";
		return over ? "452 4.2.2 <%s> Mailbox full" : NULL;
	case RCPT_ALIAS:
	case RCPT_DLIST:
		return NULL;
	default:
		return "550 5.1.1 <%s> No such user here";
	}
}

/* A RCPT being looked up (libcommon/store_read.h: at once on SQLite,
 * on the pool on a database server, the session reading nothing
 * meanwhile). */
struct rcpt_read {
	struct lmtp_session *s;
	char addr[ADDR_MAX + 1];
	int64_t size_hint;
	struct rcpt_info info;
	const char *refusal;            /* NULL: accepted */
};

static int rcpt_run(struct store *st, void *ctx)
{
	struct rcpt_read *r = ctx;
	if (rcpt_lookup(st, r->addr, &r->info) < 0)
		r->refusal = "451 4.3.0 <%s> Temporary failure, try again later";
	else
		r->refusal = rcpt_refusal(st, &r->info, r->size_hint);
	return 0;
}

/* Refuses RCPT for address ADDR with REFUSAL. */
static void rcpt_refuse(struct lmtp_session *s, const char *addr, const char *refusal)
{
	log_info("rcpt_refused", "peer=%s rcpt=%s reply=%.3s", log_quote(s->peer),
	         log_quote(addr), refusal);
	reply(s, refusal, addr);
}

/* Accepts RCPT for address ADDR, found as INFO. */
static void rcpt_accept(struct lmtp_session *s, const char *addr, const struct rcpt_info *info)
{
	struct accepted_rcpt *r = &s->rcpts[s->nrcpt++];
	snprintf(r->address, sizeof r->address, "%s", addr);
	r->info = *info;
	r->over_quota = false;
	reply(s, "250 2.1.5 <%s> Recipient OK", addr);
}

static void rcpt_apply(void *ctx, int rc, enum store_error err, bool later)
{
	struct rcpt_read *r = ctx;
	(void)rc;
	(void)err;
	if (r->refusal != NULL)
		rcpt_refuse(r->s, r->addr, r->refusal);
	else
		rcpt_accept(r->s, r->addr, &r->info);
	if (later)
		client_conn_pump(&r->s->conn);   /* may free the session */
}

static const struct store_read_ops rcpt_ops = { rcpt_run, rcpt_apply, free };

static void cmd_rcpt(struct lmtp_session *s, const struct lmtp_cmd *c)
{
	if (!s->in_mail)
		return bad_command(s, "503 5.5.1 Need MAIL first");
	if (s->nrcpt >= s->max_rcpt)
		return reply(s, "452 4.5.3 Too many recipients");
	struct rcpt_read *r = calloc(1, sizeof *r);
	if (r == NULL)
		return reply(s, "451 4.3.0 Out of memory, try again later");
	r->s = s;
	r->size_hint = s->size_hint;
	/* a bare user name is one of the default domain */
	if (addr_qualify(c->path, s->g->default_domain, r->addr, sizeof r->addr) != 0) {
		snprintf(r->addr, sizeof r->addr, "%s", c->path);
		rcpt_refuse(s, r->addr, "550 5.1.3 <%s> A user name without a domain needs a "
		                        "default domain, and none is set");
		free(r);
		return;
	}
	char addr[ADDR_MAX + 1];
	snprintf(addr, sizeof addr, "%s", r->addr);
	if (store_read_start(s->w->pool, s->g->store, &rcpt_ops, r, &s->job) < 0)
		rcpt_refuse(s, addr, "451 4.3.0 <%s> Temporary failure, try again later");
}

static void cmd_data(struct lmtp_session *s)
{
	char received[LMTP_RECEIVED_MAX], from[512];

	if (!s->in_mail)
		return bad_command(s, "503 5.5.1 Need MAIL first");
	if (s->nrcpt == 0)
		return bad_command(s, "503 5.5.1 No valid recipients");
	snprintf(from, sizeof from, "from %.200s (%.100s)", s->helo, s->peer);
	msgbuf_init(&s->msg, (size_t)s->g->max_size);
	msgbuf_spool(&s->msg, s->g->spool_dir, false);
	/* RFC 3848: LMTPS once STARTTLS is done */
	const char *proto = client_conn_tls(&s->conn) ? "LMTPS" : "LMTP";
	if (smtpgw_received(s->g, from, proto, s->nrcpt == 1 ? s->rcpts[0].address : NULL,
	                    received, sizeof received) < 0 ||
	    msgbuf_add_trace(&s->msg, received) < 0)
		return reply(s, "451 4.3.0 Out of memory, try again later");
	lmtp_data_init(&s->data);
	s->in_data = true;
	reply(s, "354 Start mail input; end with <CRLF>.<CRLF>");
}

static void command(struct lmtp_session *s, char *line, size_t len)
{
	struct lmtp_cmd c;
	const char *err;

	if (len > LMTP_CMD_MAX)
		return bad_command(s, "500 5.5.2 Line too long");
	if (lmtp_cmd_parse(line, len, &c, &err) < 0)
		return bad_command(s, err);
	switch (c.verb) {
	case LMTP_LHLO: return cmd_lhlo(s, &c);
	case LMTP_HELO: return bad_command(s, "500 5.5.1 This is LMTP: say LHLO");
	case LMTP_MAIL: return cmd_mail(s, &c);
	case LMTP_RCPT: return cmd_rcpt(s, &c);
	case LMTP_DATA: return cmd_data(s);
	case LMTP_STARTTLS: return cmd_starttls(s);
	case LMTP_RSET:
		transaction_reset(s);
		return reply(s, "250 2.0.0 OK");
	case LMTP_NOOP: return reply(s, "250 2.0.0 OK");
	case LMTP_VRFY: return reply(s, "252 2.5.0 Cannot VRFY; send mail and see");
	case LMTP_HELP: return reply(s, "214 2.0.0 See RFC 2033");
	case LMTP_QUIT: return session_end(s, "221 2.0.0 Bye");
	default: return bad_command(s, "500 5.5.1 Unknown command");
	}
}

/* One reply per accepted recipient: TEXT with its address. */
static void reply_each(struct lmtp_session *s, const char *text)
{
	for (size_t i = 0; i < s->nrcpt; i++)
		reply(s, text, s->rcpts[i].address);
}

/* One answer per recipient: over quota 452, else 250 when stored as RES
 * says (queued for postman, or delivered here), else 451. */
static void answer_data(struct lmtp_session *s, bool checked, const struct submit_result *res)
{
	for (size_t i = 0; i < s->nrcpt; i++) {
		const struct accepted_rcpt *r = &s->rcpts[i];
		if (checked && r->over_quota)
			reply(s, "452 4.2.2 <%s> Mailbox full", r->address);
		else if (res != NULL && res->queue_id != 0)
			reply(s, "250 2.0.0 <%s> Queued as %lld", r->address,
			      (long long)res->queue_id);
		else if (res != NULL)
			reply(s, "250 2.0.0 <%s> Delivered", r->address);
		else
			reply(s, "451 4.3.0 <%s> Temporary failure, try again later",
			      r->address);
	}
}

static int job_run(struct store *st, void *local, void *arg)
{
	struct queue_job *j = arg;
	int64_t size = (int64_t)(j->msg.len - j->msg.start);
	(void)local;
	/* the quotas, read in the commit's own transaction: two sessions
	 * cannot both take the last room */
	for (size_t i = 0; i < j->nrcpt; i++) {
		struct accepted_rcpt *r = &j->rcpts[i];
		/* a store failure here counts as over quota: a temporary refusal */
		if (rcpt_over_quota(st, &r->info, size, &r->over_quota) < 0)
			r->over_quota = true;
		if (!r->over_quota)
			j->addrs[j->n++] = r->address;
	}
	if (j->n == 0)
		return 0;
	return smtpgw_submit_store(j->s->g, st, &j->msg, j->sender, j->addrs, j->n, &j->res);
}

/* Back on the loop after the commit: the answers, then the next command. */
static void job_done(void *arg, int rc, enum store_error err)
{
	struct queue_job *j = arg;
	struct lmtp_session *s = j->s;
	s->job = NULL;
	for (size_t i = 0; i < j->nrcpt && i < s->nrcpt; i++)
		s->rcpts[i].over_quota = rc == 0 && j->rcpts[i].over_quota;
	if (j->n > 0)
		smtpgw_submit_done(s->g, &j->msg, j->sender, j->addrs, j->n, rc, err, &j->res);
	answer_data(s, true, rc == 0 && j->n > 0 ? &j->res : NULL);
	transaction_reset(s);
	client_conn_pump(&s->conn);   /* may free the session */
}

static void job_free(void *arg)
{
	struct queue_job *j = arg;
	msgbuf_free(&j->msg);
	free(j->addrs);
	free(j->rcpts);
	smtpgw_result_free(&j->res);
	free(j);
}

static const struct store_job_ops queue_ops = { "lmtp_queue", STORE_JOB_WRITE, job_run,
	                                        job_done, job_free };

/* The job for the session's recipients (those that fit their quota
 * are found in it); takes the session's message.  NULL when out of
 * memory. */
static struct queue_job *job_new(struct lmtp_session *s)
{
	struct queue_job *j = calloc(1, sizeof *j);
	if (j == NULL || (j->addrs = calloc(s->nrcpt, sizeof *j->addrs)) == NULL ||
	    (j->rcpts = calloc(s->nrcpt, sizeof *j->rcpts)) == NULL ||
	    smtpgw_result_new(&j->res, s->nrcpt) < 0) {
		if (j != NULL) {
			free(j->addrs);
			free(j->rcpts);
		}
		free(j);
		return NULL;
	}
	j->s = s;
	snprintf(j->sender, sizeof j->sender, "%s", s->sender);
	memcpy(j->rcpts, s->rcpts, s->nrcpt * sizeof *j->rcpts);
	j->nrcpt = s->nrcpt;
	j->msg = s->msg;
	msgbuf_init(&s->msg, s->msg.limit);
	return j;
}

/* The message is complete and good: queues it for the recipients that
 * fit on the store pool.  Returns 1 when a job is in flight (it answers
 * and resets the transaction), 0 when answered already. */
static int data_queue(struct lmtp_session *s)
{
	struct queue_job *j = NULL;
	if (smtpgw_submit_check(s->g, s->sender, s->nrcpt) == 0 && (j = job_new(s)) != NULL &&
	    (s->job = store_pool_submit(s->w->pool, &queue_ops, j)) != NULL)
		return 1;
	answer_data(s, false, NULL);
	return 0;
}

static void data_end(struct lmtp_session *s)
{
	const char *why;

	if (s->data.failed)
		reply_each(s, "451 4.3.0 <%s> Cannot take the message now, try again later");
	else if (s->msg.too_big)
		reply_each(s, "552 5.3.4 <%s> Message exceeds the size limit");
	else if (msgbuf_check(&s->msg, &why) < 0)
		for (size_t i = 0; i < s->nrcpt; i++)
			reply(s, "554 5.6.0 <%s> %s", s->rcpts[i].address, why);
	else if (data_queue(s) == 1)
		return;   /* the job answers */
	transaction_reset(s);
}

/* Decodes what input there is of the message; at its end, gives the
 * rest back for the command parser and answers.  Returns what
 * ios_read_bytes() said. */
static enum ios_status data_input(struct lmtp_session *s)
{
	const char *in;
	size_t len;
	bool done;
	enum ios_status st = ios_read_bytes(s->conn.ios, SIZE_MAX, &in, &len);

	if (st != IOS_OK)
		return st;
	size_t used = lmtp_data_feed(&s->data, &s->msg, in, len, &done);
	if (done) {
		ios_unread(s->conn.ios, len - used);
		data_end(s);
	}
	return IOS_OK;
}

/* One step of the connection (client_conn_ops): a chunk of the message
 * or a command line.  1 did something, 0 nothing to do before more
 * input. */
static int step(void *arg)
{
	struct lmtp_session *s = arg;
	char *line = NULL;
	size_t len = 0;
	bool in_data = s->in_data;
	if (s->job != NULL)
		return 0;   /* nothing is read until the commit is answered */
	enum ios_status st = in_data ? data_input(s) : ios_read_line(s->conn.ios, &line, &len);

	switch (client_conn_input(&s->conn, st)) {
	case IOS_OK:
		if (!in_data)
			command(s, line, len);
		return 1;
	case IOS_TOO_LONG:
		bad_command(s, "500 5.5.2 Line too long");
		return 1;
	default:
		return 0;
	}
}

/* Every command is answered before the next is read; nothing is read
 * while a commit runs. */
static bool input_held(const void *arg)
{
	const struct lmtp_session *s = arg;
	return s->job != NULL;
}

/* At the start, or after an implicit TLS handshake; after STARTTLS the
 * client speaks first. */
static int greet(void *arg)
{
	struct lmtp_session *s = arg;
	if (!s->greeted)
		reply(s, "220 %s LMTP ems smtpgw ready", s->g->node);
	s->greeted = true;
	return 0;
}

/* The worker is shutting down: 421 may come at any time (RFC 5321
 * 3.8), inside DATA too; what was not queued is not acknowledged, so
 * the client retries it. */
static void on_goodbye(void *arg)
{
	reply(arg, "421 4.3.2 Service shutting down, try again later");
}

static void on_idle(void *arg)
{
	reply(arg, "421 4.4.2 Timeout, closing");
}

static void free_session(void *arg)
{
	session_free(arg);
}

static const struct client_conn_ops lmtp_conn_ops = {
	.step = step,
	.input_held = input_held,
	.greet = greet,
	.idle = on_idle,
	.goodbye = on_goodbye,
	.free = free_session,
	.name = "lmtp",
	.output_is_activity = false,
};

int lmtp_session_start(struct smtpgw *g, struct worker *w, int fd, const char *peer,
                       unsigned flags, bool tls_offered)
{
	struct lmtp_session *s = calloc(1, sizeof *s);
	size_t max_rcpt = (size_t)config_int(g->cfg, "lmtp.max_recipients");
	unsigned idle_ms = (unsigned)config_int(g->cfg, "lmtp.timeout_s") * 1000;

	if (s == NULL || (s->rcpts = calloc(max_rcpt, sizeof *s->rcpts)) == NULL) {
		log_error("lmtp_session", "peer=%s error=\"out of memory\"", log_quote(peer));
		if (s != NULL)
			free(s);
		close(fd);
		return -1;
	}
	s->g = g;
	s->w = w;
	s->max_rcpt = max_rcpt;
	snprintf(s->peer, sizeof s->peer, "%s", peer);
	worker_session_name(w, s->session, sizeof s->session);
	msgbuf_init(&s->msg, (size_t)g->max_size);
	transaction_reset(s);
	if (client_conn_open(&s->conn, &w->clients, w->loop, fd, LMTP_INPUT_MAX,
	                     LMTP_OUT_HIGH_WATER, idle_ms, tls_offered ? w->tls : NULL,
	                     s->session, &lmtp_conn_ops, s) < 0) {
		log_error("lmtp_session", "peer=%s error=\"out of memory\"", log_quote(peer));
		session_free(s);
		return -1;
	}
	return client_conn_start(&s->conn, flags, s->peer) ? 0 : -1;
}
