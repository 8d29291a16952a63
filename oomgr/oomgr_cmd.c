/*
 * oomgr_cmd.c - cuts oomgr's input into statements and statements into
 * words and key=value parameters; see oomgr_cmd.h.  The commands
 * themselves live in oomgr.c's table.
 */
#include "oomgr_cmd.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void stmt_reader_init(struct stmt_reader *r)
{
	memset(r, 0, sizeof *r);
}

void stmt_reader_feed(struct stmt_reader *r, const char *text)
{
	r->in = text;
}

static bool blank_text(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!isspace((unsigned char)s[i]))
			return false;
	return true;
}

bool stmt_reader_pending(const struct stmt_reader *r)
{
	return r->too_long || r->quote != 0 || !blank_text(r->buf, r->len);
}

/* Hands the collected statement to the caller and starts the next one. */
static int finish_statement(struct stmt_reader *r, char *out, size_t outsz,
                            char *err, size_t errsz)
{
	int rc = 1;

	if (r->too_long || r->len >= outsz) {
		snprintf(err, errsz, "statement longer than %d bytes ignored",
		         STMT_TEXT_MAX);
		rc = -1;
	} else {
		memcpy(out, r->buf, r->len);
		out[r->len] = '\0';
	}
	r->len = 0;
	r->quote = 0;
	r->escape = r->comment = r->too_long = false;
	return rc;
}

/* Updates the quote/comment state for byte C.  Returns true when C ends
 * the statement. */
static bool scan_byte(struct stmt_reader *r, char c)
{
	if (r->comment) {
		r->comment = c != '\n';
		return false;
	}
	if (r->quote != 0) {
		if (r->escape)
			r->escape = false;
		else if (c == '\\')
			r->escape = true;
		else if (c == r->quote)
			r->quote = 0;
		return false;
	}
	if (c == '"' || c == '\'')
		r->quote = c;
	else if (c == '#')
		r->comment = true;
	return c == ';';
}

int stmt_reader_next(struct stmt_reader *r, bool at_end, char *out,
                     size_t outsz, char *err, size_t errsz)
{
	while (r->in != NULL && *r->in != '\0') {
		char c = *r->in++;
		bool in_comment = r->comment;

		if (scan_byte(r, c))
			return finish_statement(r, out, outsz, err, errsz);
		if (in_comment || r->comment)
			c = c == '\n' ? '\n' : ' ';
		if (r->len == 0 && isspace((unsigned char)c))
			continue;       /* statements start at their first word */
		if (r->len < STMT_TEXT_MAX)
			r->buf[r->len++] = c;
		else
			r->too_long = true;
	}
	r->in = NULL;
	if (at_end && stmt_reader_pending(r))
		return finish_statement(r, out, outsz, err, errsz);
	return 0;
}

/* Splitting one statement. */

/* Unquoting never lengthens a token and each token's NUL takes the place
 * of the blank or '=' after it, so text of at most STMT_TEXT_MAX bytes
 * fits the storage of STMT_TEXT_MAX + 1. */
struct tokenizer {
	const char *p;          /* next input byte */
	char *out;              /* next free byte of storage */
};

/* Copies one quoted run starting at the quote at T->p.  Returns 0 or -1
 * when the closing quote is missing. */
static int copy_quoted(struct tokenizer *t)
{
	char quote = *t->p++;

	while (*t->p != quote) {
		if (*t->p == '\0')
			return -1;
		if (*t->p == '\\' && t->p[1] != '\0')
			t->p++;
		*t->out++ = *t->p++;
	}
	t->p++;
	return 0;
}

/* Reads one token into storage.  *VALUE is set to the text after the
 * token's first unquoted '=' (NULL when it has none).  Returns the token
 * text, or NULL with ERR filled. */
static char *next_token(struct tokenizer *t, char **value, char *err,
                        size_t errsz)
{
	char *start = t->out;

	*value = NULL;
	while (*t->p != '\0' && !isspace((unsigned char)*t->p)) {
		if (*t->p == '"' || *t->p == '\'') {
			if (copy_quoted(t) < 0) {
				snprintf(err, errsz, "a quote is not closed");
				return NULL;
			}
		} else if (*t->p == '=' && *value == NULL) {
			*t->out++ = '\0';
			*value = t->out;
			t->p++;
		} else {
			*t->out++ = *t->p++;
		}
	}
	*t->out++ = '\0';
	return start;
}

static int add_token(struct oomgr_stmt *st, char *word, char *value,
                     char *err, size_t errsz)
{
	if (value == NULL) {
		if (st->nwords == STMT_WORDS_MAX) {
			snprintf(err, errsz, "more than %d words in a statement",
			         STMT_WORDS_MAX);
			return -1;
		}
		st->words[st->nwords++] = word;
		return 0;
	}
	if (*word == '\0') {
		snprintf(err, errsz, "a parameter needs a name before '='");
		return -1;
	}
	if (st->nparams == STMT_PARAMS_MAX) {
		snprintf(err, errsz, "more than %d parameters in a statement",
		         STMT_PARAMS_MAX);
		return -1;
	}
	st->params[st->nparams].key = word;
	st->params[st->nparams++].value = value;
	return 0;
}

int oomgr_stmt_parse(const char *text, struct oomgr_stmt *st, char *err,
                     size_t errsz)
{
	struct tokenizer t = { text, st->storage };

	st->nwords = st->nparams = 0;
	if (strlen(text) > STMT_TEXT_MAX) {
		snprintf(err, errsz, "statement longer than %d bytes",
		         STMT_TEXT_MAX);
		return -1;
	}
	for (;;) {
		char *word, *value;

		while (isspace((unsigned char)*t.p))
			t.p++;
		if (*t.p == '\0')
			return 0;
		word = next_token(&t, &value, err, errsz);
		if (word == NULL || add_token(st, word, value, err, errsz) < 0)
			return -1;
	}
}

const char *stmt_word(const struct oomgr_stmt *st, size_t i)
{
	return i < st->nwords ? st->words[i] : NULL;
}

bool stmt_word_is(const struct oomgr_stmt *st, size_t i, const char *keyword)
{
	return i < st->nwords && strcasecmp(st->words[i], keyword) == 0;
}

const char *stmt_param(const struct oomgr_stmt *st, const char *key)
{
	for (size_t i = 0; i < st->nparams; i++)
		if (strcasecmp(st->params[i].key, key) == 0)
			return st->params[i].value;
	return NULL;
}
