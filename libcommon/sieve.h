/*
 * sieve.h - the Sieve mail filtering language (RFC 5228): a script is
 * compiled once (sieve_lex.c, sieve_parse.c, sieve_check.c) into a
 * program, then run (sieve_eval.c and, for tests, sieve_test.c,
 * sieve_match.c, sieve_body.c, sieve_date.c; sieve_vars.c,
 * sieve_flags.c, sieve_vacation.c) against one message for one
 * recipient.  Running is pure: it reads the message
 * and the envelope it is given and returns a list of actions; postman
 * carries them out (files, redirects, rejects, replies).  Used by postman
 * at delivery and by oomgr (install, `check sieve`).
 *
 * Extensions: those named in SIEVE_EXTENSIONS.  `require` of any other
 * is a compile error (RFC 5228 3.2), so a script never runs half
 * understood.
 *
 * LIMITS.  A script is at most SIEVE_SCRIPT_MAX bytes and nests blocks
 * and tests at most SIEVE_DEPTH_MAX deep; a run takes at most
 * SIEVE_STEPS_MAX steps (commands, tests, key comparisons, wildcard
 * backtracking), makes at most SIEVE_REDIRECT_MAX redirects and
 * SIEVE_ACTIONS_MAX actions.  Going past a run limit is a run-time error.
 *
 * ERRORS.  A compile error has a line, a column (both from 1) and a
 * message.  A run-time error leaves the result with one action, keep,
 * and the error text (RFC 5228 2.10.6: the message is never lost).
 */
#ifndef EMS_SIEVE_H
#define EMS_SIEVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What `require` accepts, space-separated (the ManageSieve SIEVE
 * capability will be this string). */
#define SIEVE_EXTENSIONS                                                     \
	"fileinto reject ereject envelope encoded-character vacation "           \
	"imap4flags copy variables relational comparator-i;ascii-numeric "       \
	"subaddress mailbox body date index"

#define SIEVE_SCRIPT_MAX    (64 * 1024)
#define SIEVE_DEPTH_MAX     32
#define SIEVE_STEPS_MAX     100000
#define SIEVE_REDIRECT_MAX  4
#define SIEVE_ACTIONS_MAX   32

/* vacation :days: default, and the bounds a script's value is moved
 * into (RFC 5230 4.1 lets a site limit it). */
#define SIEVE_VACATION_DAYS_DEFAULT 7
#define SIEVE_VACATION_DAYS_MIN     1
#define SIEVE_VACATION_DAYS_MAX     90

struct sieve_error {
	int line, col;          /* 0 for a run-time error */
	char text[200];
};

struct sieve_program;

/*
 * Compiles script SRC (LEN bytes).  Returns the program (free with
 * sieve_free()), or NULL with ERR filled (a syntax error, an unknown
 * command, test, tag or extension, a wrong argument, a script over the
 * limits, or "out of memory").
 */
struct sieve_program *sieve_compile(const char *src, size_t len, struct sieve_error *err);

void sieve_free(struct sieve_program *p);

/* What a run reads: the message and its envelope. */
struct sieve_message {
	const char *data;       /* header and body, CRLF or LF */
	size_t len;
	const char *env_from;   /* envelope sender, "" for the null sender */
	const char *env_to;     /* the recipient as the MTA gave it */
	const char *owner;      /* the person's own address (NULL: ENV_TO) */
	/* mailboxexists (RFC 5490): true when the person has mailbox NAME;
	 * NULL: no mailbox exists */
	bool (*mailbox_exists)(const char *name, void *arg);
	void *arg;
	int64_t now;            /* unix time of the run (currentdate) */
	long local_zone;        /* the site's zone, seconds east of UTC (date) */
};

enum sieve_action_kind {
	SIEVE_KEEP,             /* into INBOX */
	SIEVE_FILEINTO,         /* into MAILBOX, created first when CREATE */
	SIEVE_REDIRECT,         /* to ADDRESS */
	SIEVE_REJECT,           /* refuse with TEXT (a DSN to the sender) */
	SIEVE_VACATION,         /* reply TEXT to the sender, once per DAYS */
};

struct sieve_action {
	enum sieve_action_kind kind;
	char *mailbox;          /* FILEINTO */
	bool create;            /* FILEINTO :create */
	char *flags;            /* KEEP, FILEINTO: space-separated (imap4flags) */
	char *address;          /* REDIRECT */
	char *text;             /* REJECT reason, VACATION body */
	/* VACATION: */
	bool mime;              /* :mime: TEXT is a MIME entity, headers first */
	int days;
	char *subject;          /* NULL: "Auto: " and the original subject */
	char *from;             /* NULL: the recipient */
};

struct sieve_result {
	struct sieve_action *v;
	size_t n;
	bool error;             /* a run-time error: V is one KEEP */
	char error_text[200];
};

/*
 * Runs P against MSG into OUT (zeroed by the caller; free with
 * sieve_result_clear()).  Without any action taken the implicit keep is
 * in OUT as a KEEP.  Returns 0, or -1 after a run-time error (OUT->error
 * set, OUT holds the one KEEP; only "out of memory" leaves OUT empty).
 */
int sieve_run(const struct sieve_program *p, const struct sieve_message *msg,
              struct sieve_result *out);

void sieve_result_clear(struct sieve_result *r);

#endif
