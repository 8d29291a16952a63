/*
 * oomgr_cmd.h - oomgr's statement language, as in the seeds' IOFCMGR:
 *
 *   startup all;   disp process;   set process POP3SRV 1 maxclt=200;
 *   insert domain qualifiedname=example.test description="demo domain";
 *
 * A statement is words and key=value parameters separated by blanks and
 * ended by ';' (the last one of a one-shot command line may omit it).
 * Double or single quotes group blanks into one word or value, with \"
 * \' and \\ escapes inside; '#' outside quotes starts a comment running
 * to the end of the line.  Keywords and keys compare case-insensitively.
 *
 * The reader cuts input (lines typed at the prompt, stdin, argv) into
 * statements; the parser splits one statement into words and parameters.
 * Neither logs: errors are sentences for the administrator in ERR.
 */
#ifndef EMS_OOMGR_CMD_H
#define EMS_OOMGR_CMD_H

#include <stdbool.h>
#include <stddef.h>

#define STMT_TEXT_MAX   4096    /* longest statement, bytes */
#define STMT_WORDS_MAX  16
#define STMT_PARAMS_MAX 32

struct stmt_param {
	const char *key;
	const char *value;
};

struct oomgr_stmt {
	const char *words[STMT_WORDS_MAX];  /* verb, object, arguments */
	size_t nwords;
	struct stmt_param params[STMT_PARAMS_MAX];
	size_t nparams;
	char storage[STMT_TEXT_MAX + 1];    /* the unquoted tokens */
};

struct stmt_reader {
	char buf[STMT_TEXT_MAX + 1];    /* the statement read so far */
	size_t len;
	const char *in;                 /* unread input, or NULL */
	char quote;                     /* 0, '"' or '\'' */
	bool escape;                    /* last byte a backslash in quotes */
	bool comment;                   /* inside a '#' comment */
	bool too_long;                  /* dropping up to the next ';' */
};

void stmt_reader_init(struct stmt_reader *r);

/* Hands TEXT to the reader (add "\n" between lines yourself).  TEXT must
 * stay valid until stmt_reader_next() has returned 0 or -1 for it. */
void stmt_reader_feed(struct stmt_reader *r, const char *text);

/*
 * Takes the next complete statement (without its ';') into OUT of OUTSZ
 * bytes.  Returns 1 when one was there, 0 when the input holds no
 * complete statement yet, or -1 when a statement exceeded STMT_TEXT_MAX
 * bytes: it is dropped up to its ';' and ERR says so.
 * AT_END: the input is over, so a last statement without ';' counts.
 */
int stmt_reader_next(struct stmt_reader *r, bool at_end, char *out,
                     size_t outsz, char *err, size_t errsz);

/* True while part of a statement is waiting for its ';' (the prompt
 * shows a continuation then). */
bool stmt_reader_pending(const struct stmt_reader *r);

/*
 * Splits TEXT into ST.  Returns 0 (a blank statement gives nwords == 0
 * and nparams == 0), or -1 with a sentence in ERR: an unterminated quote,
 * too many words or parameters, a parameter with an empty key.
 */
int oomgr_stmt_parse(const char *text, struct oomgr_stmt *st, char *err,
                     size_t errsz);

/* Word I of ST, or NULL past the last. */
const char *stmt_word(const struct oomgr_stmt *st, size_t i);

/* True when word I of ST is KEYWORD (case-insensitive). */
bool stmt_word_is(const struct oomgr_stmt *st, size_t i, const char *keyword);

/* Value of parameter KEY (case-insensitive), or NULL. */
const char *stmt_param(const struct oomgr_stmt *st, const char *key);

#endif
