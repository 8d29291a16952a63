/*
 * postman_bounce.c - delivery status notifications (RFC 3464): when
 * postman cannot deliver to some recipients it reports to the sender in a
 * multipart/report with a human-readable part, the machine-readable
 * message/delivery-status part and the header of the original message.
 * postman_deliver.c never bounces a message with the null sender, so a
 * bounce is never bounced.
 */
#include "postman.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* "Mon, 23 Nov 2026 10:00:00 +0000" for T. */
static void rfc5322_date(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	localtime_r(&tt, &tm);
	strftime(out, len, "%a, %d %b %Y %H:%M:%S %z", &tm);
}

/* The domain of the report's From: the first failed address's, or NODE. */
static const char *report_domain(const struct delivery_failure *failed, size_t n,
                                 const char *node)
{
	const char *at = n > 0 ? strrchr(failed[0].address, '@') : NULL;
	return at != NULL ? at + 1 : node;
}

static int write_head(const struct postman *pm, struct generated_mail *m,
                      const char *sender, const char *domain, const char *boundary)
{
	return genmail_printf(m,
	           "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n"
	           "To: <%s>\r\n"
	           "Subject: Undelivered Mail Returned to Sender\r\n"
	           "Auto-Submitted: auto-replied\r\n"
	           "MIME-Version: 1.0\r\n"
	           "Content-Type: multipart/report; report-type=delivery-status;\r\n"
	           "\tboundary=\"%s\"\r\n", domain, sender, boundary) < 0 ||
	       genmail_date_and_id(m, pm->node) < 0 ||
	       genmail_printf(m, "\r\nThis is a MIME-encapsulated delivery status "
	                      "notification.\r\n") < 0
	           ? -1 : 0;
}

static int write_human(struct generated_mail *m, const char *boundary,
                       const struct delivery_failure *failed, size_t n)
{
	if (genmail_printf(m, "\r\n--%s\r\nContent-Type: text/plain; charset=us-ascii\r\n"
	                   "Content-Description: Notification\r\n\r\n"
	                   "Your message could not be delivered to %s:\r\n\r\n", boundary,
	                   n == 1 ? "this recipient" : "these recipients") < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (genmail_printf(m, "  <%s>: %s (%s)\r\n", failed[i].address, failed[i].text,
		                   failed[i].status) < 0)
			return -1;
	return 0;
}

/* The SMTP reply code that goes with STATUS in Diagnostic-Code: 552 for
 * mailbox and message size trouble (RFC 3463 X.2.2, X.3.4), else 550. */
static int reply_code(const char *status)
{
	if (status[0] == '\0')
		return 550;
	return strcmp(status + 1, ".2.2") == 0 || strcmp(status + 1, ".3.4") == 0
	           ? 552 : 550;
}

static int write_status(const struct postman *pm, struct generated_mail *m,
                        const char *boundary, const struct delivery_failure *failed,
                        size_t n, int64_t arrival)
{
	char date[64];
	rfc5322_date(arrival, date, sizeof date);
	if (genmail_printf(m, "\r\n--%s\r\nContent-Type: message/delivery-status\r\n"
	                   "Content-Description: Delivery report\r\n\r\n"
	                   "Reporting-MTA: dns; %s\r\nArrival-Date: %s\r\n", boundary,
	                   pm->node, date) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct delivery_failure *f = &failed[i];
		if (genmail_printf(m, "\r\nFinal-Recipient: rfc822; %s\r\nAction: failed\r\n"
		                   "Status: %s\r\nDiagnostic-Code: smtp; %d %s %s\r\n",
		                   f->address, f->status, reply_code(f->status), f->status,
		                   f->text) < 0)
			return -1;
	}
	return 0;
}

/* The original header, without its empty line, CRLF-terminated. */
static int write_headers(struct generated_mail *m, const char *boundary,
                         const char *orig, size_t orig_len)
{
	size_t h = header_block_len(orig, orig_len, NULL);
	while (h > 0 && (orig[h - 1] == '\n' || orig[h - 1] == '\r'))
		h--;
	if (genmail_printf(m, "\r\n--%s\r\nContent-Type: text/rfc822-headers\r\n"
	                   "Content-Description: Undelivered message header\r\n\r\n",
	                   boundary) < 0 ||
	    genmail_write(m, orig, h) < 0)
		return -1;
	return genmail_printf(m, "\r\n\r\n--%s--\r\n", boundary);
}

int bounce_build(const struct postman *pm, const char *sender,
                 const struct delivery_failure *failed, size_t nfailed,
                 const char *orig, size_t orig_len, int64_t arrival,
                 struct generated_mail *out)
{
	static unsigned counter;
	char boundary[96];

	snprintf(boundary, sizeof boundary, "=_ems_dsn_%lld_%d_%u", (long long)time(NULL),
	         (int)getpid(), ++counter);
	if (write_head(pm, out, sender, report_domain(failed, nfailed, pm->node),
	               boundary) < 0 ||
	    write_human(out, boundary, failed, nfailed) < 0 ||
	    write_status(pm, out, boundary, failed, nfailed, arrival) < 0 ||
	    write_headers(out, boundary, orig, orig_len) < 0) {
		genmail_free(out);
		return -1;
	}
	return 0;
}
