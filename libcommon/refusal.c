/*
 * refusal.c - refusal lines in each protocol's own words (POP3 with
 * RFC 3206 response codes, IMAP with RFC 5530 ones, ManageSieve with
 * RFC 5804's, LMTP with RFC 3463
 * enhanced status codes); see refusal.h.
 */
#include "refusal.h"

#include "iobuf.h"
#include "params.h"

#include <strings.h>

/* The line is short and the socket fresh, so one flush sends it. */
#define REPLY_MAX_LINE 512
#define REPLY_HIGH_WATER 4096

struct reply_lines {
	const char *service;
	const char *line[3];            /* by enum refusal */
};

static const struct reply_lines lines[] = {
	{ "pop", { "-ERR [SYS/PERM] Access denied by site policy\r\n",
	           "-ERR [SYS/TEMP] Server busy, try again later\r\n",
	           "-ERR [SYS/TEMP] Service temporarily unavailable, try again "
	           "later\r\n" } },
	{ "imap", { "* BYE [NOPERM] Access denied by site policy\r\n",
	            "* BYE [UNAVAILABLE] Server busy, try again later\r\n",
	            "* BYE [UNAVAILABLE] Service temporarily unavailable, try "
	            "again later\r\n" } },
	{ "sieve", { "BYE \"Access denied by site policy\"\r\n",
	             "BYE (TRYLATER) \"Server busy, try again later\"\r\n",
	             "BYE (TRYLATER) \"Service temporarily unavailable, try again "
	             "later\"\r\n" } },
	{ "lmtp", { "554 5.7.1 Access denied by site policy\r\n",
	            "421 4.3.2 Server busy, try again later\r\n",
	            "421 4.3.0 Service temporarily unavailable, try again "
	            "later\r\n" } },
};

static const char *const neutral[] = {
	"Access denied by site policy\r\n",
	"Server busy, try again later\r\n",
	"Service temporarily unavailable, try again later\r\n",
};

static const char *const names[] = { "denied", "busy", "unavailable" };

static unsigned index_of(enum refusal why)
{
	return (unsigned)why <= REFUSE_UNAVAILABLE ? (unsigned)why
	                                           : REFUSE_UNAVAILABLE;
}

const char *refusal_line(const char *service, enum refusal why)
{
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
		if (strcasecmp(service, lines[i].service) == 0)
			return lines[i].line[index_of(why)];
	return neutral[index_of(why)];
}

const char *refusal_name(enum refusal why)
{
	return names[index_of(why)];
}

int refusal_send(int fd, const char *service, unsigned flags,
                 enum refusal why)
{
	if (flags & PROC_FLAG_SSL)
		return 0;
	struct iostream *s = ios_new(fd, REPLY_MAX_LINE, REPLY_HIGH_WATER);
	if (s == NULL)
		return -1;
	int rc = ios_puts(s, refusal_line(service, why)) == 0 &&
	                 ios_flush(s) == 0 ? 0 : -1;
	ios_free(s);
	return rc;
}
