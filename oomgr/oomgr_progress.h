/*
 * oomgr_progress.h - the progress bar of oomgr's long statements (import,
 * backup, restore) on a terminal:
 *
 *   [##########..........]  512/1000 msgs  6.1 MB  842 msg/s  0:00:01 left
 *
 * redrawn at most every PROGRESS_REDRAW_S on stderr; nothing when stderr
 * is not a terminal (each statement prints its summary line either way).
 */
#ifndef EMS_OOMGR_PROGRESS_H
#define EMS_OOMGR_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct progress {
	bool tty;
	const char *unit;           /* what is counted: "msgs", "pages" */
	const char *rate_unit;      /* its rate: "msg/s", "pages/s" */
	size_t total;               /* units expected */
	size_t done;
	uint64_t bytes;
	double started, last_draw;  /* monotonic seconds */
};

/* Starts P for TOTAL units named UNIT, their rate RATE_UNIT (string
 * literals). */
void progress_start(struct progress *p, size_t total, const char *unit,
                    const char *rate_unit);
/* Counts one more unit of LEN bytes; redraws the bar now and then. */
void progress_step(struct progress *p, size_t len);
/* Sets the count to DONE of TOTAL units, BYTES in all (TOTAL may change
 * while the work goes on); redraws the bar now and then. */
void progress_set(struct progress *p, size_t done, size_t total, uint64_t bytes);
/* Clears the bar (on a terminal). */
void progress_end(struct progress *p);
/* Seconds since progress_start(). */
double progress_elapsed(const struct progress *p);

#endif
