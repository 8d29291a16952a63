/*
 * bench_stats.c - clock, latency samples and the JSON summary line of
 * the load generators.
 */
#include "bench_stats.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int64_t bench_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void samples_init(struct bench_samples *s)
{
	pthread_mutex_init(&s->lock, NULL);
	s->v = NULL;
	s->n = s->cap = 0;
}

void samples_free(struct bench_samples *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
	pthread_mutex_destroy(&s->lock);
}

void samples_add(struct bench_samples *s, int64_t us)
{
	pthread_mutex_lock(&s->lock);
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		int64_t *v = realloc(s->v, cap * sizeof *v);
		if (v == NULL) {
			pthread_mutex_unlock(&s->lock);
			return;
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = us;
	pthread_mutex_unlock(&s->lock);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

double samples_pct_ms(struct bench_samples *s, double p)
{
	pthread_mutex_lock(&s->lock);
	double out = -1;
	if (s->n > 0) {
		qsort(s->v, s->n, sizeof *s->v, cmp_i64);
		double want = p / 100.0 * (double)s->n;
		size_t rank = (size_t)want;
		if ((double)rank < want)
			rank++;     /* nearest rank: round up */
		out = (double)s->v[rank > 0 ? rank - 1 : 0] / 1000.0;
	}
	pthread_mutex_unlock(&s->lock);
	return out;
}

static bool json_first;

void json_begin(void)
{
	fputc('{', stdout);
	json_first = true;
}

static void json_sep(const char *name)
{
	printf("%s\"%s\": ", json_first ? "" : ", ", name);
	json_first = false;
}

void json_num(const char *name, double value)
{
	json_sep(name);
	if (isfinite(value))
		printf("%.6g", value);
	else
		fputs("null", stdout);
}

void json_str(const char *name, const char *value)
{
	json_sep(name);
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)value; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			printf("\\u%04x", *p);   /* server text: keep the JSON valid */
		else
			putchar(*p);
	}
	putchar('"');
}

void json_end(void)
{
	puts("}");
	fflush(stdout);
}
