/*
 * bench_message.c - generated test messages of a given size.
 */
#include "bench_message.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char FILLER[] =
	"The quick brown fox jumps over the lazy dog; the bench fills the body"
	" with lines like this one.\r\n";

char *bench_message(unsigned long seq, size_t size, const char *rcpt, size_t *len)
{
	char head[512];
	int h = snprintf(head, sizeof head,
	                 "From: Bench Sender <bench@bench.example>\r\n"
	                 "To: %s\r\n"
	                 "Subject: bench message %lu\r\n"
	                 "Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n"
	                 "Message-ID: <%lu.%ld@bench.example>\r\n"
	                 "MIME-Version: 1.0\r\n"
	                 "Content-Type: text/plain; charset=us-ascii\r\n"
	                 "\r\n"
	                 "Message %lu of the bench.\r\n",
	                 rcpt, seq, seq, (long)getpid(), seq);
	if (h < 0 || (size_t)h >= sizeof head)
		return NULL;
	size_t total = size > (size_t)h ? size : (size_t)h;
	char *m = malloc(total + 1);
	if (m == NULL)
		return NULL;
	memcpy(m, head, (size_t)h);
	size_t at = (size_t)h;
	while (at + sizeof FILLER - 1 <= total) {
		memcpy(m + at, FILLER, sizeof FILLER - 1);
		at += sizeof FILLER - 1;
	}
	m[at] = '\0';
	*len = at;
	return m;
}

unsigned long bench_message_seq(void)
{
	static atomic_ulong next = 1;
	return atomic_fetch_add(&next, 1);
}
