/*
 * oomgr_chart.h - a counter's history as a terminal bar chart, for
 * `oomgr disp stats NAME history`.
 *
 * Samples (time, value) are put into CHART_COLUMNS buckets over the
 * period; a total (a counter that only grows) shows what was added in
 * each bucket, a gauge the highest value seen in it.  A fall of a total
 * (the process restarted and counts from zero) counts as a new start;
 * a total's first sample counts whole (zeros are not stored).
 */
#ifndef EMS_OOMGR_CHART_H
#define EMS_OOMGR_CHART_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CHART_COLUMNS 60
#define CHART_ROWS    10

struct chart {
	int64_t start, period;          /* unix time, seconds */
	bool gauge;
	uint64_t last;                  /* previous sample of a total, 0 */
	uint64_t bucket[CHART_COLUMNS];
	bool filled[CHART_COLUMNS];     /* a sample fell into the bucket */
};

/* Empties C for the PERIOD seconds that end at END. */
void chart_init(struct chart *c, int64_t end, int64_t period, bool gauge);

/* Adds the sample VALUE taken at TAKEN (samples come oldest first). */
void chart_add(struct chart *c, int64_t taken, uint64_t value);

/* Draws the chart with title TITLE to OUT. */
void chart_print(FILE *out, const struct chart *c, const char *title);

#endif
