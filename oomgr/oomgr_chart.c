/*
 * oomgr_chart.c - the terminal bar chart of `disp stats ... history`
 * (see oomgr_chart.h).
 */
#include "oomgr_chart.h"

#include <string.h>
#include <time.h>

void chart_init(struct chart *c, int64_t end, int64_t period, bool gauge)
{
	memset(c, 0, sizeof *c);
	c->period = period > 0 ? period : 3600;
	c->start = end - c->period;
	c->gauge = gauge;
}

void chart_add(struct chart *c, int64_t taken, uint64_t value)
{
	uint64_t add = value;
	if (!c->gauge) {
		/* A total: what it grew by since the previous sample.  Zeros
		 * are not stored, so no previous sample means it was 0. */
		add = value >= c->last ? value - c->last : value;
		c->last = value;
	}
	if (taken < c->start || taken > c->start + c->period)
		return;
	int col = (int)((taken - c->start) * CHART_COLUMNS / c->period);
	if (col >= CHART_COLUMNS)
		col = CHART_COLUMNS - 1;
	if (c->gauge)
		c->bucket[col] = c->filled[col] && c->bucket[col] > add ? c->bucket[col] : add;
	else
		c->bucket[col] += add;
	c->filled[col] = true;
}

static void time_label(char *buf, size_t size, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (localtime_r(&tt, &tm) == NULL)
		snprintf(buf, size, "?");
	else
		strftime(buf, size, "%H:%M", &tm);
}

void chart_print(FILE *out, const struct chart *c, const char *title)
{
	uint64_t max = 0, total = 0;
	for (int i = 0; i < CHART_COLUMNS; i++) {
		max = c->bucket[i] > max ? c->bucket[i] : max;
		total += c->bucket[i];
	}
	fprintf(out, "%s (%s per %llds)\n", title, c->gauge ? "highest" : "added",
	        (long long)(c->period / CHART_COLUMNS));
	for (int row = CHART_ROWS; row >= 1; row--) {
		if (row == CHART_ROWS)
			fprintf(out, "%10llu |", (unsigned long long)max);
		else
			fprintf(out, "%10s |", "");
		for (int i = 0; i < CHART_COLUMNS; i++) {
			/* Rounded up: any value above 0 shows at least one mark. */
			uint64_t h = max == 0 ? 0 : (c->bucket[i] * CHART_ROWS + max - 1) / max;
			fputc(h >= (uint64_t)row ? '#' : ' ', out);
		}
		fputc('\n', out);
	}
	fprintf(out, "%10d +", 0);
	for (int i = 0; i < CHART_COLUMNS; i++)
		fputc(c->filled[i] ? '-' : '.', out);
	char from[16], to[16];
	time_label(from, sizeof from, c->start);
	time_label(to, sizeof to, c->start + c->period);
	fprintf(out, "\n%12s%-*s%s\n", "", CHART_COLUMNS - 5, from, to);
	if (!c->gauge)
		fprintf(out, "%12stotal in the period: %llu\n", "", (unsigned long long)total);
}
