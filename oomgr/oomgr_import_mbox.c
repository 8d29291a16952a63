/*
 * oomgr_import_mbox.c - reads an mbox file for `oomgr import mbox`.
 *
 * Messages start at lines beginning "From " (the first line of the file
 * must be one); the blank line before a separator belongs to the mbox,
 * not to the message.  Body lines escaped as ">From " (any number of
 * '>') lose one '>' (mboxrd).  The separator's date becomes the internal
 * date.  Flags come from the Status ("R" seen, "O" old) and X-Status
 * ("A" answered, "F" flagged, "T" draft, "D" deleted) fields and
 * keywords from X-Keywords; those fields and the other mbox bookkeeping
 * fields (X-UID, X-IMAP, X-IMAPbase) are not part of the message and are
 * left out of it.
 */
#include "oomgr_admin.h"
#include "oomgr_import.h"

#include "store.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Fields of the mbox format, not of the message. */
static const char *const mbox_fields[] = { "Status", "X-Status", "X-Keywords",
	                                       "X-UID", "X-IMAP", "X-IMAPbase", NULL };

struct mbox_msg {
	const char *start, *end;    /* after the "From " line, before the blank */
	int64_t date;
};

/* The "From " line's date ("From sender Tue Nov 22 19:27:21 2026"). */
static int64_t separator_date(const char *line, const char *end)
{
	static const char *const formats[] = { "%a %b %d %H:%M:%S %Y",
		                                   "%a %b %d %H:%M:%S %z %Y",
		                                   "%a %b %d %H:%M %Y" };
	char buf[128];
	const char *p = memchr(line + 5, ' ', (size_t)(end - line - 5));
	size_t n = p ? (size_t)(end - p - 1) : 0;

	if (p == NULL || n == 0 || n >= sizeof buf)
		return 0;
	memcpy(buf, p + 1, n);
	buf[n] = '\0';
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		struct tm tm = { 0 };
		const char *rest = strptime(buf, formats[i], &tm);
		if (rest != NULL && (*rest == '\0' || isspace((unsigned char)*rest))) {
			tm.tm_isdst = -1;
			return (int64_t)mktime(&tm);
		}
	}
	return 0;
}

/* Cuts the file into messages.  *MSGS (malloc'ed) gets *N of them. */
static int split(const char *data, size_t len, struct mbox_msg **msgs, size_t *n)
{
	size_t cap = 0;
	const char *p = data, *end = data + len;

	*msgs = NULL;
	*n = 0;
	if (len < 5 || memcmp(data, "From ", 5) != 0)
		return oomgr_fail("This is no mbox file: it does not start with \"From \".");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *next = nl ? nl + 1 : end;
		if ((p == data || p[-1] == '\n') && end - p >= 5 && memcmp(p, "From ", 5) == 0) {
			if (*n == cap) {
				cap = cap ? cap * 2 : 256;
				struct mbox_msg *m = realloc(*msgs, cap * sizeof *m);
				if (m == NULL)
					return oomgr_fail("Out of memory.");
				*msgs = m;
			}
			if (*n > 0)
				(*msgs)[*n - 1].end = p;
			(*msgs)[*n] = (struct mbox_msg){ next, end,
			                                 separator_date(p, nl ? nl : end) };
			(*n)++;
		}
		p = next;
	}
	return 0;
}

/* Drops the blank line the mbox puts before the next separator. */
static const char *trim_end(const char *start, const char *end)
{
	if (end - start >= 2 && end[-1] == '\n' && end[-2] == '\n')
		return end - 1;
	if (end - start >= 4 && memcmp(end - 4, "\r\n\r\n", 4) == 0)
		return end - 2;
	return end;
}

static bool is_mbox_field(const char *line, size_t len)
{
	for (int i = 0; mbox_fields[i] != NULL; i++) {
		size_t k = strlen(mbox_fields[i]);
		if (len > k && line[k] == ':' && strncasecmp(line, mbox_fields[i], k) == 0)
			return true;
	}
	return false;
}

/* Flags and keywords from the mbox fields of one header line. */
static void read_flags(const char *line, size_t len, unsigned *flags, char *keywords,
                       size_t kwlen)
{
	const char *v = memchr(line, ':', len);
	if (v == NULL)
		return;
	size_t vlen = len - (size_t)(v + 1 - line);
	if (strncasecmp(line, "Status:", 7) == 0) {
		if (memchr(v, 'R', vlen)) *flags |= STORE_FLAG_SEEN;
		if (!memchr(v, 'O', vlen)) *flags |= STORE_FLAG_RECENT;
	} else if (strncasecmp(line, "X-Status:", 9) == 0) {
		if (memchr(v, 'A', vlen)) *flags |= STORE_FLAG_ANSWERED;
		if (memchr(v, 'F', vlen)) *flags |= STORE_FLAG_FLAGGED;
		if (memchr(v, 'T', vlen)) *flags |= STORE_FLAG_DRAFT;
		if (memchr(v, 'D', vlen)) *flags |= STORE_FLAG_DELETED;
	} else if (strncasecmp(line, "X-Keywords:", 11) == 0) {
		size_t k = strlen(keywords);
		for (const char *q = v + 1; q < line + len && k + 1 < kwlen; q++)
			if (*q != '\r' && *q != '\n')
				keywords[k++] = *q == ',' ? ' ' : *q;
		keywords[k] = '\0';
	}
}

/* OUT gets the message without mbox fields and escapes; *FLAGS and
 * KEYWORDS what those fields said.  Returns its length. */
static size_t clean(const char *p, const char *end, char *out, unsigned *flags,
                    char *keywords, size_t kwlen)
{
	bool in_header = true;
	size_t n = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *next = nl ? nl + 1 : end;
		size_t len = (size_t)(next - p);
		if (in_header && (*p == '\n' || *p == '\r'))
			in_header = false;
		if (in_header && is_mbox_field(p, len)) {
			read_flags(p, len, flags, keywords, kwlen);
			p = next;
			while (p < end && (*p == ' ' || *p == '\t'))   /* folded */
				p = (nl = memchr(p, '\n', (size_t)(end - p))) ? nl + 1 : end;
			continue;
		}
		size_t gt = strspn(p, ">");
		if (gt > 0 && gt < len && (size_t)(end - p) >= gt + 5 &&
		    memcmp(p + gt, "From ", 5) == 0) {
			p++;
			len--;
		}
		memcpy(out + n, p, len);
		n += len;
		p = next;
	}
	return n;
}

static int import_all(struct import_sink *s, const struct mbox_msg *m, size_t n)
{
	char keywords[STORE_KEYWORDS_MAX];
	size_t cap = 0;
	char *buf = NULL;
	int r = 0;

	progress_start(&s->progress, n, "msgs", "msg/s");
	for (size_t i = 0; r == 0 && i < n; i++) {
		const char *end = trim_end(m[i].start, m[i].end);
		size_t len = (size_t)(end - m[i].start);
		unsigned flags = 0;
		if (len + 1 > cap) {
			char *b = realloc(buf, len + 1);
			if (b == NULL) {
				r = oomgr_fail("Out of memory for a message of %zu bytes.", len);
				break;
			}
			buf = b;
			cap = len + 1;
		}
		keywords[0] = '\0';
		len = clean(m[i].start, end, buf, &flags, keywords, sizeof keywords);
		r = import_message(s, buf, len, flags, keywords[0] ? keywords : NULL,
		                   m[i].date ? m[i].date : (int64_t)time(NULL));
	}
	free(buf);
	return r;
}

int import_mbox(struct import_sink *s, const char *path)
{
	struct mbox_msg *msgs = NULL;
	struct stat sb;
	size_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0 || fstat(fd, &sb) < 0) {
		r = oomgr_fail("Cannot read %s: %s.", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return r;
	}
	if (sb.st_size == 0) {
		close(fd);
		progress_start(&s->progress, 0, "msgs", "msg/s");
		return 0;
	}
	void *map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return oomgr_fail("Cannot map %s: %s.", path, strerror(errno));
	r = split(map, (size_t)sb.st_size, &msgs, &n);
	if (r == 0)
		r = import_all(s, msgs, n);
	free(msgs);
	munmap(map, (size_t)sb.st_size);
	return r;
}
