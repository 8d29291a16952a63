/*
 * bench_proto.c - LMTP and IMAP steps shared by the loads.
 */
#include "bench_proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int smtp_reply(struct bconn *c)
{
	for (;;) {
		size_t len;
		const char *line = bconn_line(c, &len);
		if (line == NULL || len < 3)
			return -1;
		if (len == 3 || line[3] != '-')
			return atoi(line);
	}
}

int smtp_cmd(struct bconn *c, const char *cmd, const char *arg, int want)
{
	if (bconn_printf(c, "%s%s\r\n", cmd, arg) < 0)
		return -1;
	return smtp_reply(c) == want ? 0 : -1;
}

struct bconn *lmtp_open(const struct bench_target *t, int timeout_ms)
{
	const char *why;
	struct bconn *c = bconn_open(t, timeout_ms, &why);
	if (c == NULL) {
		fprintf(stderr, "emsbench: lmtp connect: %s\n", why);
		return NULL;
	}
	if (smtp_reply(c) != 220 || smtp_cmd(c, "LHLO ", "bench.example", 250) < 0) {
		fprintf(stderr, "emsbench: lmtp greeting: %s\n", bconn_error(c));
		bconn_close(c);
		return NULL;
	}
	return c;
}

int lmtp_send(struct bconn *c, const char *rcpt, const char *msg, size_t len)
{
	char arg[512];
	snprintf(arg, sizeof arg, "<%s>", rcpt);
	if (smtp_cmd(c, "MAIL FROM:", "<bench@bench.example>", 250) < 0 ||
	    smtp_cmd(c, "RCPT TO:", arg, 250) < 0 || smtp_cmd(c, "DATA", "", 354) < 0 ||
	    bconn_send(c, msg, len) < 0)
		return -1;
	return bconn_send(c, ".\r\n", 3);
}

/* A literal announced at the end of LINE ("{123}"), or -1. */
static long literal_size(const char *line, size_t len)
{
	if (len < 3 || line[len - 1] != '}')
		return -1;
	const char *open = memrchr(line, '{', len);
	return open != NULL ? strtol(open + 1, NULL, 10) : -1;
}

int imap_wait(struct bconn *c, const char *tag, long *exists, char *why, size_t whylen)
{
	size_t taglen = strlen(tag);
	for (;;) {
		size_t len;
		const char *line = bconn_line(c, &len);
		long lit = line != NULL ? literal_size(line, len) : -1;
		if (line == NULL || (lit >= 0 && bconn_skip(c, (size_t)lit) < 0)) {
			if (why != NULL)
				snprintf(why, whylen, "%s", bconn_error(c));
			return -1;
		}
		if (lit >= 0)
			continue;
		long n;
		char word[16];
		if (exists != NULL && line[0] == '*' && sscanf(line, "* %ld %15s", &n, word) == 2) {
			if (strcmp(word, "EXISTS") == 0)
				*exists = n;
			else if (strcmp(word, "EXPUNGE") == 0 && *exists > 0)
				--*exists;
		}
		if (len > taglen && strncmp(line, tag, taglen) == 0 && line[taglen] == ' ') {
			if (strncmp(line + taglen + 1, "OK", 2) == 0)
				return 0;
			if (why != NULL)
				snprintf(why, whylen, "%s", line + taglen + 1);
			return -1;
		}
	}
}

struct bconn *imap_open_inbox(const struct bench_opts *o, int index, long *exists)
{
	char user[256];
	const char *why;
	bench_user(o, index, user, sizeof user);
	struct bconn *c = bconn_open(bench_target(o, index), o->timeout_ms, &why);
	if (c == NULL)
		return NULL;
	const char *greeting = bconn_line(c, NULL);
	if (greeting == NULL || strncmp(greeting, "* OK", 4) != 0 ||
	    bconn_printf(c, "l LOGIN \"%s\" \"%s\"\r\n", user, o->password) < 0 ||
	    imap_wait(c, "l", NULL, NULL, 0) < 0 || bconn_printf(c, "s SELECT INBOX\r\n") < 0 ||
	    imap_wait(c, "s", exists, NULL, 0) < 0) {
		bconn_close(c);
		return NULL;
	}
	return c;
}
