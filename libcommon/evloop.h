/*
 * evloop.h - the one event loop of every ems process (epoll, timers,
 * signals through signalfd).  Single-threaded: every callback runs on the
 * thread that called evloop_run().
 *
 * Watches and timers are owned by the loop; evloop_del_io() and
 * evloop_del_timer() may be called from any callback, including for a
 * watch whose event is still pending in the same batch (it will not fire).
 */
#ifndef EMS_EVLOOP_H
#define EMS_EVLOOP_H

#include <stdbool.h>
#include <stdint.h>

#define EV_READ  1u
#define EV_WRITE 2u

struct evloop;
struct ev_io;
struct ev_timer;

/* EVENTS: EV_READ and/or EV_WRITE that are ready; an error or hang-up on
 * the descriptor is reported as EV_READ so the next read() sees it. */
typedef void ev_io_cb(struct ev_io *io, unsigned events, void *arg);
typedef void ev_timer_cb(struct ev_timer *t, void *arg);
typedef void ev_signal_cb(int signo, void *arg);

/* Returns a new loop, or NULL after logging why. */
struct evloop *evloop_new(void);
/* Frees the loop with every watch and timer still registered (not the
 * descriptors, which their owners close).  Blocked signals stay blocked. */
void evloop_free(struct evloop *loop);

/*
 * Watches FD (which the caller keeps owning) for EVENTS.  Returns the
 * watch, or NULL after logging why (EVENTS may be 0: registered but idle).
 */
struct ev_io *evloop_add_io(struct evloop *loop, int fd, unsigned events,
                            ev_io_cb *cb, void *arg);
/* Changes what the watch waits for (e.g. stop reading under back-pressure,
 * wait for writable while output is pending).  Returns 0 or -1 (logged). */
int evloop_io_set_events(struct ev_io *io, unsigned events);
unsigned evloop_io_events(const struct ev_io *io);
/*
 * Stops watching and frees the watch (NULL is ignored); the fd stays open.
 * Call it before closing the fd: a closed number may already belong to a
 * new descriptor, and a duplicate of the old one (a forked child's) would
 * keep reporting events.
 */
void evloop_del_io(struct ev_io *io);

/*
 * Calls CB after MS milliseconds (monotonic clock), every MS milliseconds
 * when REPEAT.  A one-shot timer stays allocated after it fired, so it can
 * be reset; free it with evloop_del_timer().  Returns NULL only when out
 * of memory (logged).  Timers live in a binary heap: adding, resetting and
 * deleting cost O(log n), so one timer per connection is fine.  A timer
 * armed from a timer callback with a deadline already due runs on the
 * next loop iteration, after I/O, not in the same pass.
 */
struct ev_timer *evloop_add_timer(struct evloop *loop, unsigned ms,
                                  bool repeat, ev_timer_cb *cb, void *arg);
/* Restarts the countdown from now (idle timeouts), also after it fired.
 * Cannot fail: the heap always has room for every timer of the loop. */
void evloop_timer_reset(struct ev_timer *t);
/* Restarts the countdown with a new interval. */
void evloop_timer_set(struct ev_timer *t, unsigned ms);
/* Cancels and frees the timer (NULL is ignored); safe from its own
 * callback. */
void evloop_del_timer(struct ev_timer *t);

/*
 * Blocks SIGNO for the process and delivers it to CB from the loop
 * instead (SIGTERM, SIGHUP, SIGCHLD ...).  Like any signal, several
 * arrivals may be merged into one callback (reap children in a loop).
 * Returns 0 or -1 (logged).
 */
int evloop_add_signal(struct evloop *loop, int signo, ev_signal_cb *cb,
                      void *arg);
/* Unblocks the signals the loop took over.  A forked child calls it
 * before exec, since blocked signals survive exec.  Returns 0 or -1. */
int evloop_unblock_signals(const struct evloop *loop);

/* Runs until evloop_stop().  Returns 0, or -1 when epoll failed (logged). */
int evloop_run(struct evloop *loop);
/* Makes evloop_run() return after the current callback. */
void evloop_stop(struct evloop *loop);

/* Monotonic milliseconds, cached once per loop iteration. */
uint64_t evloop_now_ms(struct evloop *loop);

/* Helpers for descriptors a loop watches.  Return 0 or -1 (logged). */
int fd_set_nonblock(int fd);
int fd_set_cloexec(int fd);

#endif
