/*
 * imap_trace.c - the per-session protocol trace files of Server-Trace;
 * see imap_trace.h.  imap_output.c feeds it the server's side and
 * imap_command.c the client's.
 */
#include "imap_trace.h"
#include "log.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct imap_trace {
	FILE *f;
	char path[PATH_MAX];
	unsigned synch, writes;
	size_t literal_max;
	size_t literal_seen;        /* of the current literal */
	bool server_bol;            /* next server byte starts a line */
};

struct imap_trace *imap_trace_open(const char *log_dir, const char *node,
                                   uint64_t session, const char *peer,
                                   unsigned synch, size_t literal_max)
{
	char dir[PATH_MAX - 64], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	struct imap_trace *t = calloc(1, sizeof *t);
	if (t == NULL) {
		log_error("trace_open", "error=\"out of memory\"");
		return NULL;
	}
	snprintf(dir, sizeof dir, "%s/trace", log_dir);
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		log_warn("trace_open", "path=%s error=%s", log_quote(dir), log_quote(strerror(errno)));
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%m%d%H%M%S", &tm);
	snprintf(t->path, sizeof t->path, "%s/%s_%s_%llu" "TRACE.LOG", dir, node, stamp,
	         (unsigned long long)session);
	t->f = fopen(t->path, "we");
	if (t->f == NULL) {
		log_warn("trace_open", "path=%s error=%s", log_quote(t->path),
		         log_quote(strerror(errno)));
		free(t);
		return NULL;
	}
	t->synch = synch;
	t->literal_max = literal_max;
	t->server_bol = true;
	fprintf(t->f, "# session %llu peer %s\n", (unsigned long long)session, peer);
	return t;
}

void imap_trace_close(struct imap_trace *t)
{
	if (t == NULL)
		return;
	fclose(t->f);
	free(t);
}

const char *imap_trace_path(const struct imap_trace *t)
{
	return t->path;
}

/* Counts one write and flushes every SYNCH of them. */
static void wrote(struct imap_trace *t)
{
	if (t->synch > 0 && ++t->writes >= t->synch) {
		fflush(t->f);
		t->writes = 0;
	}
}

void imap_trace_client_line(struct imap_trace *t, const char *line, size_t len)
{
	if (t == NULL)
		return;
	t->literal_seen = 0;
	fputs("C: ", t->f);
	fwrite(line, 1, len, t->f);
	fputc('\n', t->f);
	wrote(t);
}

void imap_trace_note(struct imap_trace *t, const char *note)
{
	if (t == NULL)
		return;
	fprintf(t->f, "C: [%s]\n", note);
	wrote(t);
}

/* Writes literal bytes line by line, each line behind PREFIX. */
static void literal_lines(struct imap_trace *t, const char *prefix, const char *data,
                          size_t n)
{
	bool bol = true;
	for (size_t i = 0; i < n; i++) {
		if (bol)
			fputs(prefix, t->f);
		bol = data[i] == '\n';
		if (data[i] != '\r')
			fputc(data[i], t->f);
	}
	if (!bol)
		fputc('\n', t->f);
}

/* Writes the part of a literal piece still under the limit, then one
 * note when the limit is passed. */
static void literal_piece(struct imap_trace *t, const char *prefix, const char *data,
                          size_t len)
{
	size_t room = t->literal_seen < t->literal_max ? t->literal_max - t->literal_seen : 0;
	size_t n = len < room ? len : room;
	literal_lines(t, prefix, data, n);
	if (n < len && t->literal_seen + n == t->literal_max)
		fprintf(t->f, "%s[literal cut at %zu bytes]\n", prefix, t->literal_max);
	t->literal_seen += len;
	wrote(t);
}

void imap_trace_client_literal(struct imap_trace *t, const char *data, size_t len,
                               bool hidden)
{
	if (t == NULL)
		return;
	if (hidden) {
		if (t->literal_seen == 0)
			imap_trace_note(t, "literal hidden");
		t->literal_seen += len;
		return;
	}
	literal_piece(t, "C| ", data, len);
}

void imap_trace_server(struct imap_trace *t, const char *data, size_t len, bool literal)
{
	if (t == NULL)
		return;
	if (literal) {
		literal_piece(t, "S| ", data, len);
		t->server_bol = true;
		return;
	}
	t->literal_seen = 0;
	for (size_t i = 0; i < len; i++) {
		if (t->server_bol)
			fputs("S: ", t->f);
		t->server_bol = data[i] == '\n';
		if (data[i] != '\r')
			fputc(data[i], t->f);
	}
	wrote(t);
}
