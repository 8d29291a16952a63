/*
 * smtpgw_mailer.c - mailer mode: sendmail (or any MTA) runs
 *
 *     smtpgw [-c ems.conf] -f SENDER [--] RECIPIENT...
 *
 * with the message on stdin, as it ran the seeds' ofcuto.  The envelope
 * is checked against the directory, the message read, checked and queued
 * for postman in one durable transaction, and the exit code tells the
 * MTA what happened (sysexits, see smtpgw(8)).  The exit code covers
 * every recipient at once, so the shipped mailer definitions pass one
 * recipient per run.  Exit 0 only after the commit.
 */
#include "smtpgw.h"

#include "address.h"
#include "log.h"
#include "recipient.h"
#include "store.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Bytes read from stdin at a time. */
#define MAILER_READ_CHUNK 65536
/* Longest Received field smtpgw writes. */
#define RECEIVED_MAX 1024

/* The one line the MTA shows the sender (sendmail puts a mailer's stderr
 * into its bounce); returns CODE. */
static int say(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int say(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

/*
 * Writes the envelope sender ARG in normal form into OUT.  MTAs hand a
 * non-SMTP mailer the null sender of their own bounces as MAILER-DAEMON
 * (sendmail's $n, qualified or not; Postfix pipe's default null_sender),
 * and that is what it means to ems too: no bounce or auto-reply back.
 * Returns 0, or -1 when ARG is not an address.
 */
static int mailer_sender(const char *arg, char *out, size_t outlen)
{
	static const char daemon[] = "MAILER-DAEMON";
	size_t n = sizeof daemon - 1;

	if (addr_normalize(arg, out, outlen, true) == 0) {
		if (strncasecmp(out, daemon, n) == 0 && out[n] == '@')
			out[0] = '\0';
		return 0;
	}
	if (strcasecmp(arg, daemon) == 0) {
		out[0] = '\0';
		return 0;
	}
	return -1;
}

/* Looks RECIPIENT up into INFO.  Returns 0 or the exit code that refuses
 * the run. */
static int check_rcpt(struct smtpgw *g, const char *rcpt, struct rcpt_info *info)
{
	if (rcpt_lookup(g->store, rcpt, info) < 0)
		return say(EXIT_TEMPFAIL, "4.3.0 <%s>: the mail store is not available, "
		           "try again later", rcpt);
	switch (info->kind) {
	case RCPT_PERSON:
		if ((info->services & STORE_SVC_LMTP) == 0) {
			log_info("mailer_refused", "rcpt=%s reason=\"mail disabled\"",
			         log_quote(rcpt));
			return say(EXIT_NOUSER, "5.2.1 <%s>: this mailbox does not receive "
			           "mail", rcpt);
		}
		return 0;
	case RCPT_ALIAS:
	case RCPT_DLIST:
		return 0;
	default:
		log_info("mailer_refused", "rcpt=%s reason=\"unknown recipient\"",
		         log_quote(rcpt));
		return say(EXIT_NOUSER, "5.1.1 <%s>: no such user here", rcpt);
	}
}

/* Writes recipient ARG in normal form into OUT (ADDR_MAX + 1 bytes), a
 * bare user name in the default domain, and looks it up into INFO.
 * Returns 0 or the exit code that refuses the run. */
static int take_rcpt(struct smtpgw *g, const char *arg, char *out, struct rcpt_info *info)
{
	int r = addr_qualify(arg, g->default_domain, out, ADDR_MAX + 1);
	if (r == ADDR_NO_DOMAIN) {
		log_info("mailer_refused", "rcpt=%s reason=\"no default domain\"", log_quote(arg));
		return say(EXIT_NOUSER, "5.1.3 <%s>: a user name without a domain needs a "
		           "default domain, and none is set", arg);
	}
	/* not an address at all: the lookup finds no one and refuses it */
	return check_rcpt(g, r == 0 ? out : arg, info);
}

/* Reads the message from stdin into B, without the mbox "From " line
 * sendmail may put first.  Returns 0 or an exit code. */
static int read_message(struct message_buf *b)
{
	static char chunk[MAILER_READ_CHUNK];
	ssize_t n;

	while ((n = read(STDIN_FILENO, chunk, sizeof chunk)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_warn("mailer_read", "error=%s", log_quote(strerror(errno)));
			return say(EXIT_TEMPFAIL, "4.3.0 %s: cannot read the message",
			           strerror(errno));
		}
		if (msgbuf_add_raw(b, chunk, (size_t)n) < 0)
			return say(EXIT_TEMPFAIL, "4.3.0 out of memory");
	}
	msgbuf_drop_from_line(b);
	return 0;
}

/* A single person recipient: a message bigger than the whole quota can
 * never be delivered (73); a full mailbox is worth a retry (75). */
static int check_quota(struct smtpgw *g, const struct rcpt_info *info, size_t size)
{
	bool over;
	if (info->kind != RCPT_PERSON)
		return 0;
	if (info->quota_bytes > 0 && (int64_t)size > info->quota_bytes)
		return say(EXIT_CANTCREAT, "5.2.3 <%s>: the message is larger than the "
		           "mailbox can hold", info->address);
	if (rcpt_over_quota(g->store, info, (int64_t)size, &over) < 0)
		return say(EXIT_TEMPFAIL, "4.3.0 <%s>: the mail store is not available, "
		           "try again later", info->address);
	if (over) {
		log_info("mailer_over_quota", "rcpt=%s size=%zu", log_quote(info->address),
		         size);
		return say(EXIT_TEMPFAIL, "4.2.2 <%s>: mailbox full, try again later",
		           info->address);
	}
	return 0;
}

/* Receives the message and queues it.  Returns the exit code. */
static int receive(struct smtpgw *g, const char *sender, const char **rcpts,
                   const struct rcpt_info *first, int nrcpt)
{
	char received[RECEIVED_MAX];
	struct message_buf b;
	struct submit_result res = { 0 };
	const char *why;
	int rc;

	msgbuf_init(&b, (size_t)g->max_size);
	msgbuf_spool(&b, g->spool_dir, true);
	if (smtpgw_received(g, "from mailer", "local", nrcpt == 1 ? rcpts[0] : NULL,
	                    received, sizeof received) < 0 ||
	    msgbuf_add_trace(&b, received) < 0)
		rc = say(EXIT_TEMPFAIL, "4.3.0 out of memory");
	else if ((rc = read_message(&b)) != 0)
		;
	else if (b.too_big)
		rc = say(EXIT_UNAVAILABLE, "5.3.4 message larger than %lld bytes",
		         (long long)g->max_size);
	else if (msgbuf_check(&b, &why) < 0)
		rc = say(EXIT_DATAERR, "5.6.0 %s", why);
	else if (nrcpt == 1 && (rc = check_quota(g, first, b.len - b.start)) != 0)
		;
	else if (smtpgw_result_new(&res, (size_t)nrcpt) < 0)
		rc = say(EXIT_TEMPFAIL, "4.3.0 out of memory");
	else if (smtpgw_submit(g, &b, sender, rcpts, (size_t)nrcpt, &res) < 0)
		rc = say(EXIT_TEMPFAIL, "4.3.0 the mail store is not available, "
		         "try again later");
	smtpgw_result_free(&res);
	msgbuf_free(&b);
	return rc;
}

int smtpgw_mailer(struct smtpgw *g, const char *sender_arg, char *const *rcpt_args,
                  int nrcpt)
{
	char sender[ADDR_MAX + 1];
	struct rcpt_info *info = calloc((size_t)nrcpt, sizeof *info);
	const char **rcpts = calloc((size_t)nrcpt, sizeof *rcpts);
	/* The recipients as given (normalized), "+detail" kept for postman. */
	char (*given)[ADDR_MAX + 1] = calloc((size_t)nrcpt, sizeof *given);
	int rc = 0;

	if (info == NULL || rcpts == NULL || given == NULL)
		rc = say(EXIT_TEMPFAIL, "4.3.0 out of memory");
	else if (mailer_sender(sender_arg, sender, sizeof sender) < 0)
		rc = say(EXIT_DATAERR, "5.1.7 <%s>: bad sender address", sender_arg);
	for (int i = 0; rc == 0 && i < nrcpt; i++) {
		rc = take_rcpt(g, rcpt_args[i], given[i], &info[i]);
		rcpts[i] = given[i];
	}
	if (rc == 0)
		rc = receive(g, sender, rcpts, &info[0], nrcpt);
	free(info);
	free(rcpts);
	free(given);
	return rc;
}
