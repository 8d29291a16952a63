/*
 * oomgr_progress.c - the progress bar of oomgr's long statements (import,
 * backup, restore); see oomgr_progress.h.
 */
#include "oomgr_progress.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROGRESS_REDRAW_S 0.1
#define PROGRESS_WIDTH 20

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_start(struct progress *p, size_t total, const char *unit,
                    const char *rate_unit)
{
	memset(p, 0, sizeof *p);
	p->tty = isatty(STDERR_FILENO);
	p->unit = unit;
	p->rate_unit = rate_unit;
	p->total = total;
	p->started = now_s();
}

double progress_elapsed(const struct progress *p)
{
	return p->started > 0 ? now_s() - p->started : 0.0;
}

static void draw(struct progress *p, double now)
{
	char bar[PROGRESS_WIDTH + 1];
	double secs = now - p->started;
	double rate = secs > 0 ? (double)p->done / secs : 0;
	size_t fill = p->total ? p->done * PROGRESS_WIDTH / p->total : 0;
	long left = rate > 0 && p->total > p->done ? (long)((double)(p->total - p->done) / rate) : 0;

	for (size_t i = 0; i < PROGRESS_WIDTH; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[PROGRESS_WIDTH] = '\0';
	fprintf(stderr, "\r[%s] %5zu/%zu %s  %.1f MB  %.0f %s  %ld:%02ld:%02ld left ",
	        bar, p->done, p->total, p->unit, (double)p->bytes / 1e6, rate, p->rate_unit,
	        left / 3600, left / 60 % 60, left % 60);
	fflush(stderr);
	p->last_draw = now;
}

static void maybe_draw(struct progress *p)
{
	if (!p->tty)
		return;
	double now = now_s();
	if (now - p->last_draw >= PROGRESS_REDRAW_S || p->done == p->total)
		draw(p, now);
}

void progress_step(struct progress *p, size_t len)
{
	p->done++;
	p->bytes += len;
	maybe_draw(p);
}

void progress_set(struct progress *p, size_t done, size_t total, uint64_t bytes)
{
	p->done = done;
	p->total = total;
	p->bytes = bytes;
	maybe_draw(p);
}

void progress_end(struct progress *p)
{
	if (p->tty && p->last_draw > 0)
		fputc('\n', stderr);
}
