/*
 * smtpgw.h - what the parts of smtpgw share.  smtpgw is how mail enters
 * ems and how mail ems generates leaves it:
 *
 *   smtpgw.c           main: picks the mode from the command line
 *   smtpgw_mailer.c    mailer mode: sendmail runs `smtpgw -f SENDER RCPT`
 *   smtpgw_message.c   a message being received: growth, limit, CRLF, checks
 *   smtpgw_submit.c    the one durable step: message + envelope -> queue
 *   deliver_local.c    ... or, for plain local persons, into their INBOX at once
 *   lmtp_cmd.c         LMTP command lines parsed (no I/O, unit-tested)
 *   lmtp_data.c        LMTP DATA decoded: end of data, dot-stuffing, bare LF
 *   lmtp_session.c     one LMTP conversation (RFC 2033)
 *   lmtp_server.c      daemon mode: the LMTP worker (libcommon/worker.h)
 *   smtpgw_outbound.c  outbound mode: the outbound queue -> local sendmail
 *
 * Durability rule: nothing is acknowledged (mailer exit 0, LMTP 250)
 * before smtpgw_submit() returned 0, which means the store committed.
 * That one commit either queues the message for postman or files it into
 * the mailboxes, never both: a smtpgw killed around it leaves the
 * message wholly in one place or in neither.
 */
#ifndef EMS_SMTPGW_H
#define EMS_SMTPGW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "address.h"
#include "store.h"

struct ems_config;
struct evloop;
struct store_pool;
struct tls_server;

/* sysexits(3) codes of the mailer (sendmail reads them). */
#define EXIT_OK          0
#define EXIT_USAGE       64   /* EX_USAGE */
#define EXIT_DATAERR     65   /* EX_DATAERR: the input is not a message */
#define EXIT_NOUSER      67   /* EX_NOUSER: unknown recipient */
#define EXIT_NOHOST      68   /* EX_NOHOST: unknown domain (outbound command) */
#define EXIT_UNAVAILABLE 69   /* EX_UNAVAILABLE: larger than the site allows */
#define EXIT_CANTCREAT   73   /* EX_CANTCREAT: larger than the mailbox can hold */
#define EXIT_TEMPFAIL    75   /* EX_TEMPFAIL: try again later */
#define EXIT_CONFIG      78   /* EX_CONFIG: ems.conf is wrong */

/* The running gateway: configuration and the store connection. */
struct smtpgw {
	const struct ems_config *cfg;
	struct store *store;
	const char *node;           /* host name in Received and replies */
	const char *run_dir;
	const char *spool_dir;      /* messages on their way in (spool.h) */
	int64_t max_size;           /* lmtp.max_message_size */
	const char *default_domain; /* auth.default_domain: of a bare recipient name */
	int max_received;           /* postman.max_received: more is a loop */
	int64_t max_expansion;      /* postman.max_expansion */
	struct evloop *loop;        /* daemon mode only */
	struct store_pool *pool;    /* daemon mode: the worker's, for the outbound side */
	struct tls_server *tls;     /* daemon mode: STARTTLS on TCP, or NULL */
};

/* A message as it arrives: bytes in canonical CRLF form, with a limit.
 * Offsets count from the start of the message; once spooling, only the
 * bytes from FLUSHED on are in DATA, the others in SPOOL. */
struct message_buf {
	char *data;
	size_t len, cap;            /* LEN: the message so far */
	size_t start;               /* where the input begins (after trace) */
	size_t limit;               /* input bytes allowed after START */
	bool too_big;               /* more arrived than LIMIT: data is cut */
	bool after_cr;
	const char *spool_dir;      /* spool past SPOOL_CHUNK bytes, or NULL */
	struct spool *spool;
	size_t flushed;             /* bytes in SPOOL */
	bool drop_from;             /* drop a "From " line before spooling */
	bool spool_failed;          /* the spool could not be written */
	const char *bad_header;     /* msgbuf_check()'s verdict, once spooled */
};

/* Starts B empty with LIMIT, in memory. */
void msgbuf_init(struct message_buf *b, size_t limit);

/*
 * Makes B keep at most about SPOOL_CHUNK bytes in memory: past that the
 * message goes to a spool file in DIR (the header is checked, and with
 * DROP_FROM a leading "From " line dropped, before the first write).
 * When no spool file can be made B stays in memory (logged).
 */
void msgbuf_spool(struct message_buf *b, const char *dir, bool drop_from);

/* Writes what B holds in memory to its spool, if it has one: call once
 * the message is complete.  Returns 0, or -1 when the spool failed
 * (logged; the message cannot be stored). */
int msgbuf_finish(struct message_buf *b);

/* Puts the trace field TEXT (CRLF-terminated) first; call before any
 * input.  Returns 0, or -1 when out of memory (logged). */
int msgbuf_add_trace(struct message_buf *b, const char *text);
/* Frees B's bytes and spool and empties it (its limit and spool
 * directory stay). */
void msgbuf_free(struct message_buf *b);

/* Appends LEN bytes of raw input, turning bare LF into CRLF.  Input past
 * the limit is dropped and marks B too_big (its spool is dropped then).
 * Returns 0, or -1 when out of memory or the spool failed (logged). */
int msgbuf_add_raw(struct message_buf *b, const char *data, size_t len);

/* Appends LEN bytes as they are (the caller already made them CRLF).
 * As above. */
int msgbuf_add_bytes(struct message_buf *b, const char *data, size_t len);

/* Removes a leading mbox "From " line from the input in B (sendmail
 * gives one to mailers with the U flag; LMTP never has one); a spooled
 * B had it removed before spooling, when msgbuf_spool() said so. */
void msgbuf_drop_from_line(struct message_buf *b);

/*
 * Checks that the input in B is a message: a header of "Name: value"
 * lines ending at an empty line or at the end.  Returns 0, or -1 with a
 * sentence in *WHY when it is not.
 */
int msgbuf_check(const struct message_buf *b, const char **why);

/*
 * Writes the Received field smtpgw puts on top of every message it
 * accepts into OUT (OUTLEN bytes): FROM_PART says where it came from
 * ("from mailer" or "from HELO ([peer])"), WITH_PROTO the protocol (LMTP,
 * "local"), FOR the single recipient or NULL when there are several.
 * Returns the length, or -1 when it does not fit.
 */
int smtpgw_received(const struct smtpgw *g, const char *from_part,
                    const char *with_proto, const char *rcpt, char *out,
                    size_t outlen);

/* A copy smtpgw filed itself (deliver_local.c). */
struct filed_copy {
	size_t rcpt;                /* index of its envelope recipient */
	int64_t person_id;
	char person[ADDR_MAX + 1];  /* the person's address */
	int64_t mailbox;            /* the person's INBOX */
	uint32_t uid;
	size_t size;                /* trace fields and message */
};

/* What the durable step did with a message: queued it for postman as
 * item QUEUE_ID, or (QUEUE_ID 0) filed the NFILED copies in FILED, which
 * has room for one per recipient (smtpgw_result_new()). */
struct submit_result {
	int64_t queue_id;
	int64_t message_id;
	struct filed_copy *filed;
	size_t nfiled;
};

/* Makes R empty with room for NRCPT copies.  Returns 0, or -1 when out
 * of memory (logged). */
int smtpgw_result_new(struct submit_result *r, size_t nrcpt);
void smtpgw_result_free(struct submit_result *r);

/*
 * The durable step: stores the message in B (trace field included) with
 * SENDER ("" = null sender) and the NRCPT recipients in one transaction,
 * filed into the recipients' mailboxes when all of them are plain local
 * persons (deliver_local.c), else on the submission queue for postman;
 * then wakes the IMAP sessions of those mailboxes, or postman.  *RES
 * (made by smtpgw_result_new()) says which.  Returns 0 once committed;
 * -1 after logging otherwise -- every failure is temporary to the peer,
 * so it retries.
 */
int smtpgw_submit(struct smtpgw *g, struct message_buf *b, const char *sender,
                  const char *const *rcpts, size_t nrcpt, struct submit_result *res);

/* smtpgw_submit() in its three steps, for a caller that runs the store
 * work on a pool thread (lmtp_session.c):
 * _check, on the loop: 0, or -1 (logged, counted) when the store is full;
 * _store, anywhere, with store handle ST (reading only settings of G):
 * the transaction (a savepoint inside one the caller opened), 0 or -1
 * (the kind in store_last_error(ST)), *RES what it did;
 * _done, on the loop, with _store's RC and error kind ERR: logs, counts
 * and wakes readers or postman. */
int smtpgw_submit_check(struct smtpgw *g, const char *sender, size_t nrcpt);
int smtpgw_submit_store(const struct smtpgw *g, struct store *st, struct message_buf *b,
                        const char *sender, const char *const *rcpts, size_t nrcpt,
                        struct submit_result *res);
void smtpgw_submit_done(struct smtpgw *g, const struct message_buf *b, const char *sender,
                        const char *const *rcpts, size_t nrcpt, int rc,
                        enum store_error err, const struct submit_result *res);

/* ---- one hop (deliver_local.c) ---- */

/*
 * Files the message in B into the INBOX of each of the NRCPT recipients
 * when every one of them is a plain local person: a person (no alias,
 * list or "+detail") with mail enabled, no forward, auto-reply or active
 * Sieve script, whom the message reaches within quota and without a loop
 * (Received count, a Delivered-To naming them) -- everything else
 * postman does.  Each copy gets the trace fields postman would give it
 * (delivery_trace.h) and the message its MIME structure.  Runs inside
 * the caller's transaction on ST.  Returns 1 when filed (RES filled),
 * 0 when postman is needed (nothing written), -1 when the store failed.
 */
int deliver_local_store(const struct smtpgw *g, struct store *st, struct message_buf *b,
                        const char *sender, const char *const *rcpts, size_t nrcpt,
                        struct submit_result *res);

/* After the commit, on the loop: logs each copy, counts them and wakes
 * the IMAP sessions watching their mailboxes. */
void deliver_local_done(struct smtpgw *g, const struct submit_result *res,
                        const char *const *rcpts);

/* Mailer mode: the whole run; returns the sysexits code. */
int smtpgw_mailer(struct smtpgw *g, const char *sender, char *const *rcpts,
                  int nrcpt);

struct proc_params;
/* Daemon mode: the LMTP worker and the outbound side on one loop, with
 * parameters P and ems.conf CFG (which it frees), until stopped.
 * Returns the exit code. */
int lmtp_server_run(struct smtpgw *g, const struct proc_params *p, struct ems_config *cfg);
/* The outbound side: 0 or -1 (logged). */
int outbound_start(struct smtpgw *g);
void outbound_stop(void);

#endif
