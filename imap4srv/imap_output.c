/*
 * imap_output.c - everything imap4srv writes to a client passes here:
 * raw output, untagged responses, strings in the form IMAP wants them,
 * and the tagged completion of a command; see imap_client.h.  Each
 * write is copied to the session's Server-Trace when there is one.
 */
#include "imap_client.h"
#include "imap_names.h"
#include "imap_trace.h"
#include "log.h"
#include "store.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Strings longer than this go out as literals even when they could be
 * quoted (clients read literals without scanning for escapes). */
#define QUOTED_MAX 1024
/* imap_outf() formats on the stack first. */
#define OUTF_STACK 1024

int imap_out(struct imap_client *c, const void *data, size_t len)
{
	imap_trace_server(c->trace, data, len, false);
	return ios_write(c->conn.ios, data, len);
}

int imap_outs(struct imap_client *c, const char *text)
{
	return imap_out(c, text, strlen(text));
}

static int vout(struct imap_client *c, const char *fmt, va_list ap)
{
	char stack[OUTF_STACK];
	va_list again;
	va_copy(again, ap);
	int n = vsnprintf(stack, sizeof stack, fmt, ap);
	if (n < 0) {
		va_end(again);
		return -1;
	}
	if ((size_t)n < sizeof stack) {
		va_end(again);
		return imap_out(c, stack, (size_t)n);
	}
	char *big = malloc((size_t)n + 1);
	if (big == NULL) {
		va_end(again);
		log_error("imap_output", "error=\"out of memory\"");
		return -1;
	}
	vsnprintf(big, (size_t)n + 1, fmt, again);
	va_end(again);
	int r = imap_out(c, big, (size_t)n);
	free(big);
	return r;
}

int imap_outf(struct imap_client *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vout(c, fmt, ap);
	va_end(ap);
	return r;
}

/* Queues LEN bytes of literal text. */
static int literal_run(struct imap_client *c, const char *data, size_t len)
{
	imap_trace_server(c->trace, data, len, true);
	return ios_write(c->conn.ios, data, len);
}

/* An IMAP4rev1 literal cannot hold NUL (RFC 3501, CHAR8): a message that
 * has one is served with 0x80 in its place, as Dovecot does; the size
 * stays the same. */
int imap_out_literal_data(struct imap_client *c, const void *data, size_t len)
{
	const char *p = data, *end = p + len, *nul;

	while ((nul = memchr(p, '\0', (size_t)(end - p))) != NULL) {
		if (literal_run(c, p, (size_t)(nul - p)) < 0 || literal_run(c, "\x80", 1) < 0)
			return -1;
		p = nul + 1;
	}
	return literal_run(c, p, (size_t)(end - p));
}

int imap_out_binary(struct imap_client *c, const void *data, size_t len)
{
	if (memchr(data, '\0', len) == NULL) {
		if (imap_outf(c, "{%zu}\r\n", len) < 0)
			return -1;
	} else if (imap_outf(c, "~{%zu}\r\n", len) < 0) {
		return -1;
	}
	return literal_run(c, data, len);
}

int imap_untagged(struct imap_client *c, const char *fmt, ...)
{
	va_list ap;
	if (imap_out(c, "* ", 2) < 0)
		return -1;
	va_start(ap, fmt);
	int r = vout(c, fmt, ap);
	va_end(ap);
	return r < 0 ? -1 : imap_out(c, "\r\n", 2);
}

/* EIGHT: UTF-8 may be quoted (RFC 6855 3 for a UTF8=ACCEPT client). */
static bool quotable(const char *s, size_t len, bool eight)
{
	if (len > QUOTED_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == 0 || ch == '\r' || ch == '\n' || (ch >= 0x80 && !eight))
			return false;
	}
	return true;
}

static int out_string(struct imap_client *c, const char *s, size_t len, bool eight)
{
	if (!quotable(s, len, eight)) {
		if (imap_outf(c, "{%zu}\r\n", len) < 0)
			return -1;
		return imap_out_literal_data(c, s, len);
	}
	char buf[2 * QUOTED_MAX + 2];
	size_t n = 0;
	buf[n++] = '"';
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			buf[n++] = '\\';
		buf[n++] = s[i];
	}
	buf[n++] = '"';
	return imap_out(c, buf, n);
}

int imap_out_string(struct imap_client *c, const char *s, size_t len)
{
	return out_string(c, s, len, false);
}

int imap_out_nstring(struct imap_client *c, const char *s, size_t len)
{
	return s == NULL ? imap_out(c, "NIL", 3) : imap_out_string(c, s, len);
}

int imap_out_astring(struct imap_client *c, const char *s)
{
	size_t len = strlen(s);
	bool atom = len > 0 && len <= QUOTED_MAX && strcasecmp(s, "NIL") != 0;
	for (size_t i = 0; atom && i < len; i++)
		atom = imap_astring_char((unsigned char)s[i]);
	return atom ? imap_out(c, s, len) : imap_out_string(c, s, len);
}

int imap_out_mailbox(struct imap_client *c, const char *name)
{
	char wire[IMAP_WIRE_MAX];
	if (imap_name_to_client(name, imap_utf8_names(c), wire) < 0) {
		/* the store holds a name no client created: show it escaped */
		log_warn("imap_output", "error=\"mailbox name not UTF-8\" name=%s", log_quote(name));
		return imap_out_string(c, name, strlen(name));
	}
	size_t len = strlen(wire);
	bool atom = len > 0 && len <= QUOTED_MAX && strcasecmp(wire, "NIL") != 0;
	for (size_t i = 0; atom && i < len; i++)
		atom = imap_astring_char((unsigned char)wire[i]);
	return atom ? imap_out(c, wire, len) : out_string(c, wire, len, imap_utf8_names(c));
}

enum cmd_result imap_done(struct imap_client *c, const char *status,
                          const char *fmt, ...)
{
	va_list ap;
	c->active.status = status;
	va_start(ap, fmt);
	vsnprintf(c->active.text, sizeof c->active.text, fmt, ap);
	va_end(ap);
	return CMD_DONE;
}

enum cmd_result imap_bad_syntax(struct imap_client *c)
{
	const char *why = c->active.p.error ? c->active.p.error : "syntax error";
	return imap_done(c, "BAD", "%s: %s", c->active.name, why);
}

enum cmd_result imap_store_failed(struct imap_client *c, const char *what)
{
	if (store_error_transient(c->srv->store))
		return imap_done(c, "NO", "[UNAVAILABLE] %s failed, try again later", what);
	return imap_done(c, "NO", "[SERVERBUG] %s failed", what);
}
