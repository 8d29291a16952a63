/* Unit tests for libcommon/dotstuff.c: what a POP3 or LMTP peer receives
 * for a body sent in arbitrary chunks. */
#include "dotstuff.h"
#include "iobuf.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Sends the body in the given chunks ("|" separates them) through a
 * stream on a pipe and returns what came out. */
static const char *stuffed(const char *chunks)
{
	static char out[256];
	int p[2];
	if (pipe(p) < 0)
		abort();
	struct iostream *s = ios_new(p[1], 100, 1000);
	struct dotstuff st = DOTSTUFF_INIT;
	for (const char *c = chunks; ; ) {
		const char *bar = strchr(c, '|');
		size_t len = bar ? (size_t)(bar - c) : strlen(c);
		if (dotstuff_write(s, &st, c, len) < 0)
			abort();
		if (bar == NULL)
			break;
		c = bar + 1;
	}
	if (dotstuff_end(s, &st) < 0 || ios_flush(s) != 0)
		abort();
	ssize_t n = read(p[0], out, sizeof out - 1);
	out[n > 0 ? n : 0] = '\0';
	ios_free(s);
	close(p[0]);
	close(p[1]);
	return out;
}

int main(void)
{
	plan(7);
	is_str(stuffed("a\r\nb\r\n"), "a\r\nb\r\n.\r\n",
	       "CRLF body: only the terminator added");
	is_str(stuffed(".top\r\n..two\r\n.\r\nend\r\n"),
	       "..top\r\n...two\r\n..\r\nend\r\n.\r\n",
	       "a dot starting a line is doubled (also a lone dot line)");
	is_str(stuffed("a.b\r\n x.\r\n"), "a.b\r\n x.\r\n.\r\n",
	       "dots elsewhere untouched");
	is_str(stuffed("one\ntwo\n"), "one\r\ntwo\r\n.\r\n", "bare LF becomes CRLF");
	is_str(stuffed("line\r|\n.|x|"), "line\r\n..x\r\n.\r\n",
	       "CRLF and a leading dot split across chunks");
	is_str(stuffed("no newline"), "no newline\r\n.\r\n",
	       "an unterminated last line is closed");
	is_str(stuffed(""), ".\r\n", "an empty body is just the terminator");
	return exit_status();
}
