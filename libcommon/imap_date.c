/*
 * imap_date.c - IMAP date-times and dates, and the RFC 5322 Date:
 * header, to and from unix time and day numbers; see imap_date.h.  No
 * locale or time zone of the process is involved: everything is
 * computed from the civil calendar directly.
 */
#include "imap_date.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void imap_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, int m)
{
	static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : dm[m - 1];
}

int64_t imap_day_of(int64_t t)
{
	return (t >= 0 ? t : t - 86399) / 86400;
}

void imap_date_time_format(int64_t t, char out[IMAP_DATE_TIME_LEN])
{
	int64_t y, day = imap_day_of(t), secs = t - day * 86400;
	int m, d;
	imap_civil_from_days(day, &y, &m, &d);
	snprintf(out, IMAP_DATE_TIME_LEN, "%2d-%s-%04d %02d:%02d:%02d +0000", d,
	         months[m - 1], (int)(y % 10000), (int)(secs / 3600),
	         (int)(secs / 60 % 60), (int)(secs % 60));
}

/* ---- a small scanner over a counted string ---- */

struct scan {
	const char *s;
	size_t len, pos;
};

static bool at_end(const struct scan *c)
{
	return c->pos >= c->len;
}

static bool eat(struct scan *c, char ch)
{
	if (at_end(c) || c->s[c->pos] != ch)
		return false;
	c->pos++;
	return true;
}

/* MIN..MAX digits as a number; -1 when there are not enough. */
static long num(struct scan *c, int min, int max)
{
	long v = 0;
	int n = 0;
	while (n < max && !at_end(c) && isdigit((unsigned char)c->s[c->pos])) {
		v = v * 10 + (c->s[c->pos++] - '0');
		n++;
	}
	return n >= min ? v : -1;
}

static int month(struct scan *c)
{
	if (c->len - c->pos < 3)
		return -1;
	for (int i = 0; i < 12; i++)
		if (strncasecmp(c->s + c->pos, months[i], 3) == 0) {
			c->pos += 3;
			return i + 1;
		}
	return -1;
}

static void skip_space(struct scan *c)
{
	while (!at_end(c) && (c->s[c->pos] == ' ' || c->s[c->pos] == '\t'))
		c->pos++;
}

/* "+hhmm" / "-hhmm" as seconds east of UTC; -1 on error (stored in *OFF). */
static int numeric_zone(struct scan *c, long *off)
{
	if (at_end(c) || (c->s[c->pos] != '+' && c->s[c->pos] != '-'))
		return -1;
	int sign = c->s[c->pos++] == '-' ? -1 : 1;
	long hhmm = num(c, 4, 4);
	if (hhmm < 0 || hhmm % 100 > 59)
		return -1;
	*off = sign * (hhmm / 100 * 3600 + hhmm % 100 * 60);
	return 0;
}

static int valid_day(int64_t y, int m, long d)
{
	return m >= 1 && d >= 1 && d <= days_in_month(y, m) ? 0 : -1;
}

/* ---- IMAP forms ---- */

int imap_date_time_parse(const char *s, size_t len, int64_t *t)
{
	struct scan c = { s, len, 0 };
	eat(&c, ' ');   /* date-day-fixed: " 7-Jul-..." */
	long d = num(&c, 1, 2), y, hh, mm, ss, off;
	int m;
	if (d < 0 || !eat(&c, '-') || (m = month(&c)) < 0 || !eat(&c, '-') ||
	    (y = num(&c, 4, 4)) < 0 || !eat(&c, ' ') || (hh = num(&c, 2, 2)) < 0 ||
	    !eat(&c, ':') || (mm = num(&c, 2, 2)) < 0 || !eat(&c, ':') ||
	    (ss = num(&c, 2, 2)) < 0 || !eat(&c, ' ') || numeric_zone(&c, &off) < 0 ||
	    !at_end(&c) || valid_day(y, m, d) < 0 || hh > 23 || mm > 59 || ss > 60)
		return -1;
	*t = days_from_civil(y, m, (int)d) * 86400 + hh * 3600 + mm * 60 + ss - off;
	return 0;
}

int imap_date_parse(const char *s, size_t len, int64_t *day)
{
	struct scan c = { s, len, 0 };
	long d = num(&c, 1, 2), y;
	int m;
	if (d < 0 || !eat(&c, '-') || (m = month(&c)) < 0 || !eat(&c, '-') ||
	    (y = num(&c, 4, 4)) < 0 || !at_end(&c) || valid_day(y, m, d) < 0)
		return -1;
	*day = days_from_civil(y, m, (int)d);
	return 0;
}

/* ---- RFC 5322 ---- */

/* The obsolete zone names of RFC 5322 section 4.3; unknown ones are UTC. */
static long named_zone(struct scan *c)
{
	static const struct { const char *name; int hours; } zones[] = {
		{ "UT", 0 }, { "GMT", 0 }, { "EST", -5 }, { "EDT", -4 }, { "CST", -6 },
		{ "CDT", -5 }, { "MST", -7 }, { "MDT", -6 }, { "PST", -8 }, { "PDT", -7 },
	};
	size_t start = c->pos;
	while (!at_end(c) && isalpha((unsigned char)c->s[c->pos]))
		c->pos++;
	for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++)
		if (strlen(zones[i].name) == c->pos - start &&
		    strncasecmp(c->s + start, zones[i].name, c->pos - start) == 0)
			return zones[i].hours * 3600L;
	return 0;
}

static void skip_day_name(struct scan *c)
{
	skip_space(c);
	size_t start = c->pos;
	while (!at_end(c) && isalpha((unsigned char)c->s[c->pos]))
		c->pos++;
	if (c->pos > start) {
		skip_space(c);
		eat(c, ',');
	} else {
		c->pos = start;
	}
	skip_space(c);
}

/* Two- and three-digit years as RFC 5322 section 4.3 says. */
static long full_year(long y, size_t digits)
{
	if (digits == 2)
		return y < 50 ? 2000 + y : 1900 + y;
	if (digits == 3)
		return 1900 + y;
	return y;
}

static int time_of_day(struct scan *c, long *secs)
{
	long hh = num(c, 1, 2), mm = -1, ss = 0;
	if (hh < 0 || !eat(c, ':') || (mm = num(c, 2, 2)) < 0)
		return -1;
	if (eat(c, ':') && (ss = num(c, 2, 2)) < 0)
		return -1;
	if (hh > 23 || mm > 59 || ss > 60)
		return -1;
	*secs = hh * 3600 + mm * 60 + ss;
	return 0;
}

static int rfc5322(const char *s, size_t len, int64_t *day, int64_t *t, long *zone)
{
	struct scan c = { s, len, 0 };
	long d, y, secs = 0, off = 0;
	int m;
	skip_day_name(&c);
	if ((d = num(&c, 1, 2)) < 0)
		return -1;
	skip_space(&c);
	if ((m = month(&c)) < 0)
		return -1;
	skip_space(&c);
	size_t ystart = c.pos;
	if ((y = num(&c, 2, 4)) < 0)
		return -1;
	y = full_year(y, c.pos - ystart);
	skip_space(&c);
	if (time_of_day(&c, &secs) < 0)
		return -1;
	skip_space(&c);
	if (numeric_zone(&c, &off) < 0)
		off = named_zone(&c);
	if (valid_day(y, m, d) < 0)
		return -1;
	*day = days_from_civil(y, m, (int)d);
	*t = *day * 86400 + secs - off;
	*zone = off;
	return 0;
}

int imap_rfc5322_date(const char *s, size_t len, int64_t *day, int64_t *t)
{
	long zone;
	return rfc5322(s, len, day, t, &zone);
}

int imap_rfc5322_date_zone(const char *s, size_t len, int64_t *t, long *zone)
{
	int64_t day;
	return rfc5322(s, len, &day, t, zone);
}
