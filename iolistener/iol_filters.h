/*
 * iol_filters.h - the access filters of ems.conf as the iolistener loads
 * them: at start, where a bad filter stops the program, and on refresh,
 * where it keeps the filters in force.
 */
#ifndef IOL_FILTERS_H
#define IOL_FILTERS_H

struct access_filters;
struct ems_config;

/*
 * Parses access.allow, access.deny and access.rules of CFG.  Returns the
 * set (free with access_filters_free()), or NULL when a filter is wrong:
 * the reason, with the file, the setting's entry and the column, is
 * logged (event access_filter_invalid, from access_filter.c).
 */
struct access_filters *iol_filters_load(const struct ems_config *cfg);

#endif
