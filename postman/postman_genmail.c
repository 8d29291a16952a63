/*
 * postman_genmail.c - the buffer in which postman writes the mail it
 * generates itself (bounces, auto-replies), with the Date and Message-ID
 * fields every new message needs.
 */
#include "postman.h"

#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void genmail_free(struct generated_mail *m)
{
	free(m->data);
	memset(m, 0, sizeof *m);
}

int genmail_write(struct generated_mail *m, const void *data, size_t len)
{
	if (m->len + len + 1 > m->cap) {
		size_t cap = m->cap ? m->cap : 4096;
		while (cap < m->len + len + 1)
			cap *= 2;
		char *p = realloc(m->data, cap);
		if (p == NULL) {
			log_error("genmail", "error=\"out of memory\"");
			return -1;
		}
		m->data = p;
		m->cap = cap;
	}
	memcpy(m->data + m->len, data, len);
	m->len += len;
	m->data[m->len] = '\0';
	return 0;
}

int genmail_printf(struct generated_mail *m, const char *fmt, ...)
{
	va_list ap;
	char *text = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0) {
		log_error("genmail", "error=\"out of memory\"");
		return -1;
	}
	int r = genmail_write(m, text, (size_t)n);
	free(text);
	return r;
}

int genmail_date_and_id(struct generated_mail *m, const char *node)
{
	static unsigned counter;
	char date[64];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S %z", &tm);
	return genmail_printf(m, "Date: %s\r\nMessage-ID: <ems.%lld.%d.%u@%s>\r\n", date,
	                      (long long)now, (int)getpid(), ++counter, node);
}
