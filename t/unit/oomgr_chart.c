/* Unit tests for oomgr/oomgr_chart.c: samples of a total become what
 * was added per bucket (a restart of the process counts from zero), a
 * gauge shows its highest value, the drawing has its marks and labels. */
#include "../../oomgr/oomgr_chart.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *draw(const struct chart *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	chart_print(f, c, "title");
	fclose(f);
	return buf;
}

int main(void)
{
	struct chart c;
	const int64_t end = 1000000, hour = 3600;

	plan(9);
	chart_init(&c, end, hour, false);
	chart_add(&c, end - 2 * hour, 50);    /* before the chart: a base only */
	chart_add(&c, end - hour + 30, 55);   /* bucket 0: +5 */
	chart_add(&c, end - hour + 90, 60);   /* bucket 1: +5 */
	chart_add(&c, end - hour + 100, 62);  /* bucket 1: +2 */
	chart_add(&c, end - 30, 3);           /* restarted: +3 in the last */
	is_int((long long)c.bucket[0], 5, "a total adds its growth to the bucket");
	is_int((long long)c.bucket[1], 7, "two samples in one bucket add up");
	is_int((long long)c.bucket[CHART_COLUMNS - 1], 3, "a fall counts as a new start");
	ok(c.filled[0] && !c.filled[2], "buckets with samples are marked");
	char *text = draw(&c);
	ok(strstr(text, "total in the period: 15") != NULL, "the total is printed");
	ok(strstr(text, "#") != NULL && strstr(text, "title (added per 60s)") != NULL,
	   "bars and title are drawn");
	free(text);

	chart_init(&c, end, hour, true);
	chart_add(&c, end - 100, 4);
	chart_add(&c, end - 99, 9);
	chart_add(&c, end - 98, 2);
	is_int((long long)c.bucket[CHART_COLUMNS - 2], 9, "a gauge keeps its highest value");
	text = draw(&c);
	ok(strstr(text, "(highest per 60s)") != NULL && strstr(text, "total in") == NULL,
	   "a gauge has no total");
	free(text);
	chart_init(&c, end, 86400, false);
	is_int(c.start, end - 86400, "a day's chart starts a day back");
	return exit_status();
}
