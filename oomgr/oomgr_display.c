/*
 * oomgr_display.c - the `disp process` table and its JSON form; see
 * oomgr_display.h.
 */
#include "oomgr_display.h"

#include "log.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct display_row {
	char *fields;           /* "key=value\0" ..., as on the wire */
	size_t len;
};

struct display_table {
	struct display_row *rows;
	size_t count, cap;
};

/* Fields printed as JSON numbers or booleans; everything else is text. */
static const char *const numeric_keys[] = {
	"instance", "pid", "restarts", "started", "wakeup", "uptime_s", "flags",
	"maxclt", "exits", "next_attempt", NULL
};
static const char *const boolean_keys[] = { "autostart", NULL };

struct display_table *display_new(void)
{
	struct display_table *t = calloc(1, sizeof *t);

	if (t == NULL)
		log_error("out_of_memory", "what=display_table");
	return t;
}

int display_add_row(struct display_table *t, const struct ctl_msg *row)
{
	struct display_row r = { malloc(row->len + 1), row->len };

	if (r.fields == NULL)
		goto oom;
	memcpy(r.fields, row->payload, row->len);
	r.fields[row->len] = '\0';
	if (t->count == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct display_row *rows = realloc(t->rows, cap * sizeof *rows);
		if (rows == NULL)
			goto oom;
		t->rows = rows;
		t->cap = cap;
	}
	t->rows[t->count++] = r;
	return 0;
oom:
	free(r.fields);
	log_error("out_of_memory", "what=display_row");
	return -1;
}

void display_free(struct display_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->count; i++)
		free(t->rows[i].fields);
	free(t->rows);
	free(t);
}

/* Walks the fields of R: returns 1 with KEY/KEYLEN/VALUE set, 0 at end. */
static int row_next(const struct display_row *r, size_t *pos,
                    const char **key, size_t *keylen, const char **value)
{
	while (*pos < r->len) {
		const char *f = r->fields + *pos;
		const char *eq = memchr(f, '=', r->len - *pos);
		*pos += strnlen(f, r->len - *pos) + 1;
		if (eq == NULL || eq >= r->fields + *pos)
			continue;
		*key = f;
		*keylen = (size_t)(eq - f);
		*value = eq + 1;
		return 1;
	}
	return 0;
}

static const char *row_get(const struct display_row *r, const char *key)
{
	size_t pos = 0, klen, want = strlen(key);
	const char *k, *v;

	while (row_next(r, &pos, &k, &klen, &v))
		if (klen == want && memcmp(k, key, klen) == 0)
			return v;
	return "";
}

char *display_duration(long long seconds, char *buf, size_t size)
{
	long long d = seconds / 86400, rest = seconds % 86400;

	if (seconds < 0)
		snprintf(buf, size, "-");
	else if (d > 0)
		snprintf(buf, size, "%lldd %02lld:%02lld:%02lld", d, rest / 3600,
		         rest % 3600 / 60, rest % 60);
	else
		snprintf(buf, size, "%02lld:%02lld:%02lld", rest / 3600,
		         rest % 3600 / 60, rest % 60);
	return buf;
}

/* The Unix time WHEN_TEXT as local time in strftime FORMAT, or "-" for
 * never (0). */
static const char *time_text(const char *when_text, const char *format,
                             char *buf, size_t size)
{
	time_t when = (time_t)strtoll(when_text, NULL, 10);
	struct tm tm;

	if (when <= 0 || localtime_r(&when, &tm) == NULL)
		return "-";
	strftime(buf, size, format, &tm);
	return buf;
}

/* The process's own Last Wakeup (its last periodic run) when it keeps
 * one, else when it was started. */
static const char *last_wakeup(const struct display_row *r)
{
	const char *w = row_get(r, "wakeup");
	return *w != '\0' && strcmp(w, "0") != 0 ? w : row_get(r, "started");
}

#define TABLE_FMT "%-14s %8s  %-12s  %10s  %-9s %8s %5s  %-10s %s\n"

void display_print_table(FILE *out, const struct display_table *t)
{
	fprintf(out, TABLE_FMT, "Server Name", "Instance", "Last Wakeup",
	        "Process Id", "State", "Restarts", "Exits", "Uptime",
	        "Next Attempt");
	for (size_t i = 0; i < t->count; i++) {
		const struct display_row *r = &t->rows[i];
		const char *pid = row_get(r, "pid");
		bool alive = strcmp(pid, "0") != 0 && *pid != '\0';
		char when[32], up[32], next[32];

		fprintf(out, TABLE_FMT, row_get(r, "name"),
		        row_get(r, "instance"),
		        /* "06 Dec 14:24" as in the seeds' table */
		        time_text(last_wakeup(r), "%d %b %H:%M", when, sizeof when),
		        alive ? pid : "-", row_get(r, "state"),
		        row_get(r, "restarts"), row_get(r, "exits"),
		        alive ? display_duration(strtoll(row_get(r, "uptime_s"),
		                                         NULL, 10), up, sizeof up)
		              : "-",
		        time_text(row_get(r, "next_attempt"), "%H:%M:%S", next,
		                  sizeof next));
	}
}

static bool key_in(const char *key, size_t len, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strlen(*list) == len && memcmp(*list, key, len) == 0)
			return true;
	return false;
}

static void json_string(FILE *out, const char *s, size_t len)
{
	fputc('"', out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

/* A value is printed bare only when it really is a number. */
static bool is_number(const char *v)
{
	char *end;

	if (*v == '\0')
		return false;
	(void)strtoll(v, &end, 10);
	return *end == '\0';
}

static void json_row(FILE *out, const struct display_row *r)
{
	size_t pos = 0, klen;
	const char *k, *v;
	bool first = true;

	fputs("  {", out);
	while (row_next(r, &pos, &k, &klen, &v)) {
		fputs(first ? "" : ", ", out);
		first = false;
		json_string(out, k, klen);
		fputs(": ", out);
		if (key_in(k, klen, numeric_keys) && is_number(v))
			fputs(v, out);
		else if (key_in(k, klen, boolean_keys))
			fputs(strcmp(v, "0") != 0 && *v ? "true" : "false", out);
		else
			json_string(out, v, strlen(v));
	}
	fputs("}", out);
}

void display_print_json(FILE *out, const struct display_table *t)
{
	fputs("[\n", out);
	for (size_t i = 0; i < t->count; i++) {
		json_row(out, &t->rows[i]);
		fputs(i + 1 < t->count ? ",\n" : "\n", out);
	}
	fputs("]\n", out);
}
