/*
 * imap_date.h - the dates IMAP speaks: INTERNALDATE ("17-Jul-1996
 * 02:44:25 -0700") out and in (APPEND), SEARCH dates ("1-Feb-1994"),
 * and the RFC 5322 Date: header a message carries (SENTBEFORE ...).
 * SEARCH compares days only, so dates become day numbers (days since
 * 1970-01-01) there.  In libcommon because Sieve's date test (sieve.h)
 * reads the same Date: header.
 */
#ifndef IMAP_DATE_H
#define IMAP_DATE_H

#include <stddef.h>
#include <stdint.h>

/* "dd-Mon-yyyy hh:mm:ss +zzzz" and its NUL. */
#define IMAP_DATE_TIME_LEN 27

/* Writes unix time T as an IMAP date-time in UTC ("+0000"), day
 * space-padded as date-day-fixed requires. */
void imap_date_time_format(int64_t t, char out[IMAP_DATE_TIME_LEN]);

/* Parses the date-time inside APPEND's quotes (S, LEN bytes) into unix
 * time.  Returns 0, or -1 when it is not a valid date-time. */
int imap_date_time_parse(const char *s, size_t len, int64_t *t);

/* Parses a SEARCH date ("1-Feb-1994", day with one or two digits) into a
 * day number.  Returns 0 or -1. */
int imap_date_parse(const char *s, size_t len, int64_t *day);

/* The UTC day number of unix time T. */
int64_t imap_day_of(int64_t t);

/*
 * Parses an RFC 5322 date ("Tue, 1 Jul 2003 10:52:37 +0200", with the
 * obsolete forms: two-digit years, named zones, missing seconds or day
 * name) into *DAY, the day as written in the sender's zone (what
 * SENTON compares), and *T, unix time.  Returns 0 or -1.
 */
int imap_rfc5322_date(const char *s, size_t len, int64_t *day, int64_t *t);

/* Like imap_rfc5322_date(), giving unix time *T and the date's own zone
 * *ZONE in seconds east of UTC (0 for an unknown zone name). */
int imap_rfc5322_date_zone(const char *s, size_t len, int64_t *t, long *zone);

/* The civil date (proleptic Gregorian) of day number DAY. */
void imap_civil_from_days(int64_t day, int64_t *y, int *m, int *d);

#endif
