/*
 * sieve_date.c - the date and currentdate tests (RFC 5260 4, 5): a date
 * from a header field (or the time of the run) in a zone, cut into the
 * part the script asks for ("year", "date", "iso8601", ...), then
 * matched like any other value.  The time of the run and the local zone
 * come with the message (sieve.h), so a run stays pure.
 */
#include "sieve_internal.h"

#include "header.h"
#include "imap_date.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const parts[] = { "year", "month", "day", "date", "julian", "hour",
	                                 "minute", "second", "time", "iso8601", "std11",
	                                 "zone", "weekday" };

bool sv_date_part_ok(const char *part)
{
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		if (strcasecmp(parts[i], part) == 0)
			return true;
	return false;
}

/* "+hhmm" / "-hhmm" as seconds east of UTC; -1 when it is not one. */
static int parse_zone(const char *z, long *off)
{
	if ((z[0] != '+' && z[0] != '-') || strlen(z) != 5)
		return -1;
	for (int i = 1; i < 5; i++)
		if (!isdigit((unsigned char)z[i]))
			return -1;
	long hh = (z[1] - '0') * 10 + (z[2] - '0'), mm = (z[3] - '0') * 10 + (z[4] - '0');
	if (hh > 23 || mm > 59)
		return -1;
	*off = (z[0] == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
	return 0;
}

/* PART of unix time T seen in zone OFF, into OUT. */
static void format_part(const char *part, int64_t t, long off, char *out, size_t size)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
		                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int64_t local = t + off, day = (local >= 0 ? local : local - 86399) / 86400, y;
	int64_t secs = local - day * 86400;
	int m, d, hh = (int)(secs / 3600), mi = (int)(secs / 60 % 60), ss = (int)(secs % 60);
	int wd = (int)(((day % 7) + 11) % 7);       /* 1970-01-01 was a Thursday */
	long az = off < 0 ? -off : off;
	char sign = off < 0 ? '-' : '+';

	imap_civil_from_days(day, &y, &m, &d);
	if (strcasecmp(part, "year") == 0)
		snprintf(out, size, "%04lld", (long long)y);
	else if (strcasecmp(part, "month") == 0)
		snprintf(out, size, "%02d", m);
	else if (strcasecmp(part, "day") == 0)
		snprintf(out, size, "%02d", d);
	else if (strcasecmp(part, "date") == 0)
		snprintf(out, size, "%04lld-%02d-%02d", (long long)y, m, d);
	else if (strcasecmp(part, "julian") == 0)
		snprintf(out, size, "%lld", (long long)(day + 40587));   /* Modified Julian Day */
	else if (strcasecmp(part, "hour") == 0)
		snprintf(out, size, "%02d", hh);
	else if (strcasecmp(part, "minute") == 0)
		snprintf(out, size, "%02d", mi);
	else if (strcasecmp(part, "second") == 0)
		snprintf(out, size, "%02d", ss);
	else if (strcasecmp(part, "time") == 0)
		snprintf(out, size, "%02d:%02d:%02d", hh, mi, ss);
	else if (strcasecmp(part, "iso8601") == 0)
		snprintf(out, size, "%04lld-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld", (long long)y,
		         m, d, hh, mi, ss, sign, az / 3600, az / 60 % 60);
	else if (strcasecmp(part, "std11") == 0)
		snprintf(out, size, "%s, %d %s %04lld %02d:%02d:%02d %c%02ld%02ld", days[wd], d,
		         months[m - 1], (long long)y, hh, mi, ss, sign, az / 3600, az / 60 % 60);
	else if (strcasecmp(part, "zone") == 0)
		snprintf(out, size, "%c%02ld%02ld", sign, az / 3600, az / 60 % 60);
	else
		snprintf(out, size, "%d", wd);
}

struct first_field {
	char *value;
};

static int first_value(const char *value, size_t len, void *arg)
{
	struct first_field *f = arg;
	f->value = strndup(value, len);
	return 1;   /* the first field only */
}

/* The date of header field NAME: unix time and its zone.  0, 1 when there
 * is none (or it is no date), -1 when out of memory. */
static int header_date(struct sv_run *r, const struct sv_node *n, const char *name,
                       int64_t *t, long *zone)
{
	struct first_field f = { NULL };
	if (sv_field_each(r, n, name, first_value, &f) == 0)
		return 1;
	if (f.value == NULL)
		return -1;
	/* a Received field carries its date after the last ';' */
	const char *semi = strrchr(f.value, ';');
	const char *date = strcasecmp(name, "received") == 0 && semi ? semi + 1 : f.value;
	int bad = imap_rfc5322_date_zone(date, strlen(date), t, zone) < 0;
	free(f.value);
	return bad;
}

int sv_date_value(struct sv_run *r, const struct sv_node *n, char *out, size_t size)
{
	const struct sv_arg *zone = sv_tagged(n, "zone", NULL);
	bool original, current = n->op == SV_OP_CURRENTDATE;
	int64_t t = r->msg->now;
	long off = r->msg->local_zone, own = off;
	char *part = sv_str(r, n->pos[current ? 0 : 1]->v[0]);

	sv_tagged(n, "originalzone", &original);
	if (part == NULL)
		return -1;
	int rc = 0;
	if (!sv_date_part_ok(part)) {
		rc = sv_fail(r, "date: unknown date part");
	} else if (!current) {
		char *name = sv_str(r, n->pos[0]->v[0]);
		rc = name == NULL ? -1 : header_date(r, n, name, &t, &own);
		if (rc < 0 && name != NULL)
			sv_fail(r, "out of memory");
		free(name);
	}
	if (rc == 0 && zone != NULL) {
		char *z = sv_str(r, zone->v[0]);
		if (z == NULL || parse_zone(z, &off) < 0)
			rc = z == NULL ? -1 : sv_fail(r, "date: :zone is not +hhmm or -hhmm");
		free(z);
	} else if (original) {
		off = own;
	}
	if (rc == 0)
		format_part(part, t, off, out, size);
	free(part);
	return rc;
}
