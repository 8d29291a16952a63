/*
 * lmtp_cmd.h - LMTP command lines (RFC 2033, with RFC 5321 syntax) parsed
 * into a struct, without I/O, so the parser can be tested on its own.
 *
 *   LHLO host | MAIL FROM:<path> [SIZE=n] [BODY=7BIT|8BITMIME]
 *   RCPT TO:<path> | DATA | RSET | NOOP | QUIT | VRFY | HELP | STARTTLS
 *
 * HELO and EHLO are recognized only to be refused (this is LMTP).
 */
#ifndef EMS_LMTP_CMD_H
#define EMS_LMTP_CMD_H

#include "address.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lmtp_verb {
	LMTP_UNKNOWN,
	LMTP_LHLO,
	LMTP_HELO,         /* HELO or EHLO: an SMTP client on the LMTP port */
	LMTP_MAIL,
	LMTP_RCPT,
	LMTP_DATA,
	LMTP_RSET,
	LMTP_NOOP,
	LMTP_QUIT,
	LMTP_VRFY,
	LMTP_HELP,
	LMTP_STARTTLS,     /* RFC 3207 */
};

enum lmtp_body { LMTP_BODY_7BIT, LMTP_BODY_8BITMIME };

struct lmtp_cmd {
	enum lmtp_verb verb;
	char path[ADDR_MAX + 1];    /* MAIL/RCPT: normalized, "" = null sender;
	                               RCPT may give a bare user name (no '@') */
	int64_t size;               /* MAIL SIZE=, -1 when not given */
	enum lmtp_body body;        /* MAIL BODY= */
	const char *arg;            /* LHLO domain, VRFY/NOOP argument (in LINE) */
};

/* The longest command line LMTP accepts (RFC 5321 asks for 512 octets;
 * parameters make more necessary in practice). */
#define LMTP_CMD_MAX 2048

/*
 * Parses LINE (LEN bytes without its CRLF; LINE is changed in place and
 * CMD->arg points into it) into CMD.  Returns 0, or -1 with *REPLY set to
 * the complete error reply for the client (a string literal, no CRLF):
 * 500 for an unknown command or NUL bytes, 501 for bad syntax or a bad
 * address, 555 for an unknown MAIL/RCPT parameter.
 */
int lmtp_cmd_parse(char *line, size_t len, struct lmtp_cmd *cmd, const char **reply);

#endif
