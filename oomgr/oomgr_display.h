/*
 * oomgr_display.h - how oomgr shows what the guardian sends back for
 * `disp process`: the seeds' process table for people, or JSON for
 * scripts (--json).  Rows are the fields of CTL_REP_ROW messages (see
 * ctlproto.h); the table keeps a copy of each.
 */
#ifndef EMS_OOMGR_DISPLAY_H
#define EMS_OOMGR_DISPLAY_H

#include "ctlproto.h"

#include <stdio.h>
#include <time.h>

struct display_table;

/* Returns an empty table, or NULL (logged) when out of memory. */
struct display_table *display_new(void);

/* Copies the fields of ROW into T.  Returns 0, or -1 (logged) when out of
 * memory. */
int display_add_row(struct display_table *t, const struct ctl_msg *row);

/* Prints T as the process table (Server Name, Instance, Last Wakeup,
 * Process Id, State, Restarts, Uptime), times in local time. */
void display_print_table(FILE *out, const struct display_table *t);

/* Prints T as a JSON array of objects, one per row; numeric fields
 * (instance, pid, restarts, started, uptime_s, flags, maxclt) as numbers,
 * autostart as a boolean, the rest as strings. */
void display_print_json(FILE *out, const struct display_table *t);

void display_free(struct display_table *t);

/* Formats a duration of SECONDS as "3d 04:05:06" or "04:05:06" into BUF.
 * Returns BUF. */
char *display_duration(long long seconds, char *buf, size_t size);

#endif
