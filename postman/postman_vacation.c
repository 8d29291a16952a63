/*
 * postman_vacation.c - auto-replies (RFC 3834): whether a message may be
 * answered at all, and the answer itself.  postman_deliver.c decides
 * when (the person's text and period, the site switch postman.autoreply,
 * once per sender per postman.vacation_days through the store).
 */
#include "postman.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Header values read for the answer. */
#define VACATION_FIELD_MAX 998

/* Senders that are programs, not people (RFC 3834 section 2). */
static bool sender_is_daemon(const char *sender)
{
	static const char *const daemons[] = { "mailer-daemon", "postmaster", "listserv",
		                                   "majordomo", "nobody", "noreply", "no-reply" };
	const char *at = strrchr(sender, '@');
	size_t n = at ? (size_t)(at - sender) : strlen(sender);

	for (size_t i = 0; i < sizeof daemons / sizeof daemons[0]; i++)
		if (strlen(daemons[i]) == n && strncasecmp(sender, daemons[i], n) == 0)
			return true;
	return strncasecmp(sender, "owner-", 6) == 0 ||
	       (n > 8 && strncasecmp(sender + n - 8, "-request", 8) == 0);
}

bool vacation_allowed(const char *sender, const char *orig, size_t orig_len,
                      bool via_list)
{
	char v[VACATION_FIELD_MAX + 1];

	if (sender[0] == '\0' || via_list || sender_is_daemon(sender))
		return false;
	if (header_get(orig, orig_len, "Auto-Submitted", v, sizeof v) &&
	    strncasecmp(v, "no", 2) != 0)
		return false;
	if (header_get(orig, orig_len, "Precedence", v, sizeof v) &&
	    (strcasecmp(v, "bulk") == 0 || strcasecmp(v, "junk") == 0 ||
	     strcasecmp(v, "list") == 0))
		return false;
	return !header_get(orig, orig_len, "List-Id", v, sizeof v) &&
	       !header_get(orig, orig_len, "List-Post", v, sizeof v) &&
	       !header_get(orig, orig_len, "List-Unsubscribe", v, sizeof v);
}

/* The person's TEXT with every line ending in CRLF. */
static int write_text(struct generated_mail *m, const char *text)
{
	for (const char *p = text; *p != '\0';) {
		size_t n = strcspn(p, "\r\n");
		if (genmail_write(m, p, n) < 0 || genmail_write(m, "\r\n", 2) < 0)
			return -1;
		p += n;
		if (*p == '\r')
			p++;
		if (*p == '\n')
			p++;
	}
	return 0;
}

/* True when LINE (LEN bytes) starts a field the reply keeps from a
 * :mime reason: only its Content-* fields, so a script cannot set the
 * reply's From, To or Bcc. */
static bool content_field(const char *line, size_t len)
{
	return len > 8 && strncasecmp(line, "Content-", 8) == 0 && memchr(line, ':', len);
}

/* The :mime reason TEXT (RFC 5230 4.8): a MIME entity whose Content-*
 * fields become the reply's, then its body.  Without a blank line it is
 * all header. */
static int write_entity(struct generated_mail *m, const char *text)
{
	bool keep = false;
	const char *p = text;
	while (*p != '\0') {
		size_t n = strcspn(p, "\r\n");
		const char *next = p + n + (p[n] == '\r');
		next += *next == '\n';
		if (n == 0)
			break;
		if (p[0] != ' ' && p[0] != '\t')
			keep = content_field(p, n);
		if (keep && (genmail_write(m, p, n) < 0 || genmail_write(m, "\r\n", 2) < 0))
			return -1;
		p = next;
	}
	if (genmail_write(m, "\r\n", 2) < 0)
		return -1;
	if (*p == '\r')
		p++;
	if (*p == '\n')
		p++;
	return write_text(m, p);
}

/* The reply's content headers and body: TEXT as plain text, or as a
 * MIME entity when MIME. */
static int write_reason(struct generated_mail *m, const char *text, bool mime)
{
	if (genmail_printf(m, "MIME-Version: 1.0\r\n") < 0)
		return -1;
	if (mime)
		return write_entity(m, text);
	return genmail_printf(m, "Content-Type: text/plain; charset=utf-8\r\n"
	                      "Content-Transfer-Encoding: 8bit\r\n\r\n") < 0 ? -1
	       : write_text(m, text);
}

/* In-Reply-To and References pointing at the original (RFC 3834 3.1.5). */
static int write_thread(struct generated_mail *m, const char *orig, size_t len)
{
	char id[VACATION_FIELD_MAX + 1], refs[VACATION_FIELD_MAX + 1];

	if (!header_get(orig, len, "Message-ID", id, sizeof id) || id[0] == '\0')
		return 0;
	if (!header_get(orig, len, "References", refs, sizeof refs))
		refs[0] = '\0';
	return genmail_printf(m, "In-Reply-To: %s\r\nReferences: %s%s%s\r\n", id, refs,
	                      refs[0] ? " " : "", id);
}

/* Text for a header field: line ends would start new fields. */
static void field_text(char *s)
{
	for (; *s; s++)
		if (*s == '\r' || *s == '\n')
			*s = ' ';
}

int vacation_build(const struct postman *pm, const char *from, const char *text,
                   bool mime, const char *subject, const char *sender, const char *orig,
                   size_t orig_len, struct generated_mail *out)
{
	char orig_subject[VACATION_FIELD_MAX + 1], own[VACATION_FIELD_MAX + 1];

	if (!header_get(orig, orig_len, "Subject", orig_subject, sizeof orig_subject))
		orig_subject[0] = '\0';
	if (subject != NULL)
		snprintf(own, sizeof own, "%s", subject);
	else
		snprintf(own, sizeof own, "Auto: %.900s",
		         orig_subject[0] ? orig_subject : "(your message)");
	field_text(own);
	if (genmail_printf(out, "From: <%s>\r\nTo: <%s>\r\nSubject: %.900s\r\n"
	                   "Auto-Submitted: auto-replied\r\n", from, sender, own) < 0 ||
	    write_thread(out, orig, orig_len) < 0 || genmail_date_and_id(out, pm->node) < 0 ||
	    write_reason(out, text, mime) < 0) {
		genmail_free(out);
		return -1;
	}
	return 0;
}
