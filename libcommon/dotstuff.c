/*
 * dotstuff.c - dot-stuffing and CRLF normalisation of message bodies on
 * their way out through an iostream; see dotstuff.h.
 */
#include "dotstuff.h"
#include "iobuf.h"

/* Writes DATA[from..i) and then EXTRA (one byte); DATA[i] follows later. */
static int write_with(struct iostream *s, const char *data, size_t from,
                      size_t i, const char *extra)
{
	if (ios_write(s, data + from, i - from) < 0)
		return -1;
	return ios_write(s, extra, 1);
}

int dotstuff_write(struct iostream *s, struct dotstuff *st, const char *data,
                   size_t len)
{
	size_t from = 0;
	for (size_t i = 0; i < len; i++) {
		char c = data[i];
		if (st->line_start && c == '.') {
			if (write_with(s, data, from, i, ".") < 0)
				return -1;
			from = i;
		} else if (c == '\n' && !st->after_cr) {
			if (write_with(s, data, from, i, "\r") < 0)
				return -1;
			from = i;
		}
		st->line_start = c == '\n';
		st->after_cr = c == '\r';
	}
	return ios_write(s, data + from, len - from);
}

int dotstuff_end(struct iostream *s, struct dotstuff *st)
{
	int r = 0;
	if (st->after_cr)
		r = ios_write(s, "\n", 1);
	else if (!st->line_start)
		r = ios_write(s, "\r\n", 2);
	*st = DOTSTUFF_INIT;
	return r < 0 ? -1 : ios_write(s, ".\r\n", 3);
}
