/*
 * config_numbers.c - finds integer literals in an ems.conf file that
 * libconfig would silently wrap.  libconfig 1.5 reads "3000000000" (no L
 * suffix) as a 32-bit int, so "maxclt = 4294967297;" arrives as 1 and
 * passes every range check; only the source text shows the mistake.
 * Used by config_load() after libconfig has parsed the file, so the text
 * is known to be well-formed; see config_check.h.
 */
#include "config_check.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Far larger than any sensible ems.conf. */
#define CONFIG_FILE_MAX (4 * 1024 * 1024)
#define LITERAL_MAX     64

struct scan {
	const char *file;
	const char *p, *end;
	int line;
	int bad;
};

static void skip_to(struct scan *sc, const char *stop)
{
	size_t n = strlen(stop);

	while (sc->p < sc->end && strncmp(sc->p, stop, n) != 0) {
		if (*sc->p == '\n')
			sc->line++;
		sc->p++;
	}
	sc->p = sc->p + n <= sc->end ? sc->p + n : sc->end;
	if (stop[0] == '\n')
		sc->line++;
}

static void skip_string(struct scan *sc)
{
	for (sc->p++; sc->p < sc->end && *sc->p != '"'; sc->p++) {
		if (*sc->p == '\\' && sc->p + 1 < sc->end)
			sc->p++;
		else if (*sc->p == '\n')
			sc->line++;
	}
	if (sc->p < sc->end)
		sc->p++;
}

static bool is_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '*';
}

/* Reads the number at sc->p (after an optional sign) and reports it when
 * it has no L suffix and does not fit in 32 bits, or does not fit in 64. */
static void check_number(struct scan *sc)
{
	const char *start = sc->p, *q = sc->p;
	char text[LITERAL_MAX];

	if (*q == '+' || *q == '-')
		q++;
	bool hex = q[0] == '0' && q + 1 < sc->end && (q[1] == 'x' || q[1] == 'X');
	q += hex ? 2 : 0;
	while (q < sc->end && (hex ? isxdigit((unsigned char)*q)
	                           : isdigit((unsigned char)*q)))
		q++;
	if (!hex && q < sc->end && (*q == '.' || *q == 'e' || *q == 'E')) {
		while (q < sc->end && (isalnum((unsigned char)*q) || *q == '.' ||
		                       ((*q == '+' || *q == '-') &&
		                        (q[-1] == 'e' || q[-1] == 'E'))))
			q++;
		sc->p = q;   /* a floating-point number */
		return;
	}
	bool wide = q < sc->end && *q == 'L';
	sc->p = q;
	while (sc->p < sc->end && *sc->p == 'L')
		sc->p++;
	snprintf(text, sizeof text, "%.*s", (int)(q - start), start);
	errno = 0;
	long long v = strtoll(text, NULL, hex ? 16 : 10);
	if (errno == ERANGE || (q - start) >= LITERAL_MAX)
		config_error(sc->file, sc->line, "integer %s does not fit in "
		             "64 bits", text);
	else if (!wide && (v < INT_MIN || v > INT_MAX))
		config_error(sc->file, sc->line, "integer %s is too large for "
		             "a 32-bit value; write %sL for a 64-bit one", text,
		             text);
	else
		return;
	sc->bad++;
}

static void scan_text(struct scan *sc)
{
	while (sc->p < sc->end) {
		char c = *sc->p;
		char next = sc->p + 1 < sc->end ? sc->p[1] : '\0';
		if (c == '\n') {
			sc->line++;
			sc->p++;
		} else if (c == '#' || (c == '/' && next == '/')) {
			skip_to(sc, "\n");
		} else if (c == '/' && next == '*') {
			skip_to(sc, "*/");
		} else if (c == '"') {
			skip_string(sc);
		} else if (c == '.' || is_name_char(c)) {
			bool number = isdigit((unsigned char)c) ||
			              ((c == '-' || c == '+') &&
			               isdigit((unsigned char)next));
			if (number) {
				check_number(sc);
				continue;
			}
			/* A name (digits inside it are no number) or the
			 * fraction of a float such as ".5". */
			while (sc->p < sc->end && (is_name_char(*sc->p) ||
			                           *sc->p == '.'))
				sc->p++;
		} else {
			sc->p++;
		}
	}
}

/* Reads FILE whole into a NUL-terminated buffer the caller frees; NULL
 * (recorded) on failure. */
static char *read_whole(const char *file, size_t *len)
{
	FILE *f = fopen(file, "r");
	struct stat st;
	char *text = NULL;

	if (f == NULL || fstat(fileno(f), &st) < 0) {
		config_error(file, 0, "cannot read the file: %m");
	} else if (st.st_size > CONFIG_FILE_MAX) {
		config_error(file, 0, "file larger than %d bytes", CONFIG_FILE_MAX);
	} else if ((text = malloc((size_t)st.st_size + 1)) == NULL) {
		config_error(file, 0, "out of memory");
	} else {
		*len = fread(text, 1, (size_t)st.st_size, f);
		text[*len] = '\0';
	}
	if (f != NULL)
		fclose(f);
	return text;
}

int config_check_numbers(const char *file)
{
	struct scan sc = { .file = file, .line = 1 };
	size_t n = 0;
	char *text = read_whole(file, &n);

	if (text == NULL)
		return -1;
	sc.p = text;
	sc.end = text + n;
	scan_text(&sc);
	free(text);
	return sc.bad > 0 ? -1 : 0;
}
