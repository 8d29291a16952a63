/*
 * header.c - reading RFC 5322 header blocks; see header.h.
 */
#include "header.h"

#include <string.h>
#include <strings.h>

static bool blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* True when the line at P (before END) is empty: LF or CRLF. */
static bool empty_line(const char *p, const char *end)
{
	return p < end && (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n'));
}

size_t header_block_len(const char *data, size_t len, bool *complete)
{
	const char *p = data, *end = data + len;

	while (p < end && !empty_line(p, end)) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		p = nl != NULL ? nl + 1 : end;
	}
	if (complete != NULL)
		*complete = p < end;
	if (p < end)
		p += *p == '\n' ? 1 : 2;
	return (size_t)(p - data);
}

void header_reader_init(struct header_reader *r, const char *data, size_t len)
{
	r->pos = data;
	r->end = data + len;
}

int header_next(struct header_reader *r, struct header_field *f)
{
	const char *p = r->pos, *end = r->end, *line = p, *eol, *colon;

	if (p >= end || empty_line(p, end))
		return 0;
	/* the field is its line and the continuation lines after it */
	eol = memchr(p, '\n', (size_t)(end - p));
	eol = eol != NULL ? eol + 1 : end;
	for (p = eol; p < end && blank(*p);) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		p = nl != NULL ? nl + 1 : end;
	}
	r->pos = p;
	*f = (struct header_field){ .raw = line, .raw_len = (size_t)(p - line) };
	/* the name is on the first line */
	colon = memchr(line, ':', (size_t)(eol - line));
	if (colon == NULL || colon == line)
		return 1;
	const char *ne = colon;
	while (ne > line && blank(ne[-1]))
		ne--;
	if (ne == line)
		return 1;
	f->name = line;
	f->name_len = (size_t)(ne - line);
	f->value = colon + 1;
	f->value_len = (size_t)(p - colon - 1);
	return 1;
}

int header_next_field(struct header_reader *r, struct header_field *f)
{
	while (header_next(r, f) > 0)
		if (f->name != NULL)
			return 1;
	return 0;
}

bool header_field_is(const struct header_field *f, const char *name)
{
	return f->name != NULL && strlen(name) == f->name_len &&
	       strncasecmp(f->name, name, f->name_len) == 0;
}

int header_find(struct header_reader *r, const char *name, struct header_field *f)
{
	while (header_next_field(r, f) > 0)
		if (header_field_is(f, name))
			return 1;
	return 0;
}

size_t header_unfold(const struct header_field *f, char *out, size_t size)
{
	size_t n = 0;

	for (size_t i = 0; i < f->value_len && n + 1 < size; i++) {
		char ch = f->value[i];
		if (ch == '\r' || ch == '\n')
			continue;
		if (ch == '\0')
			ch = ' ';   /* a NUL would cut the value short */
		if (n == 0 && blank(ch))
			continue;
		out[n++] = ch;
	}
	while (n > 0 && blank(out[n - 1]))
		n--;
	out[n] = '\0';
	return n;
}

bool header_get(const char *data, size_t len, const char *name, char *out,
                size_t size)
{
	struct header_reader r;
	struct header_field f;

	header_reader_init(&r, data, len);
	out[0] = '\0';
	if (header_find(&r, name, &f) == 0)
		return false;
	header_unfold(&f, out, size);
	return true;
}

int header_each(const char *data, size_t len, const char *name,
                int (*each)(const char *value, size_t value_len, void *arg),
                void *arg)
{
	char value[HEADER_LINE_MAX + 1];
	struct header_reader r;
	struct header_field f;
	int seen = 0;

	header_reader_init(&r, data, len);
	while (header_find(&r, name, &f) > 0) {
		seen++;
		size_t vlen = header_unfold(&f, value, sizeof value);
		if (each != NULL && each(value, vlen, arg) != 0)
			break;
	}
	return seen;
}
