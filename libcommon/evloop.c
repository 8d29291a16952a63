/*
 * evloop.c - epoll event loop with a timer heap and signalfd signals; see
 * evloop.h.  Every ems daemon runs exactly one of these.
 */
#include "evloop.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#define EVLOOP_BATCH        64     /* epoll events taken per wait */
#define EVLOOP_SIGNALS      65     /* signal numbers 1..64 */
#define EVLOOP_HEAP_FIRST   16     /* first timer heap allocation */
#define EVLOOP_MAX_WAIT_MS  60000  /* fits epoll_wait()'s int timeout */

struct ev_io {
	struct evloop *loop;
	int fd;
	unsigned events;
	bool deleted;
	ev_io_cb *cb;
	void *arg;
	struct ev_io *prev, *next;  /* live watches, or the garbage list */
};

struct ev_timer {
	struct evloop *loop;
	uint64_t deadline;
	unsigned interval;
	bool repeat;
	bool deleted;
	size_t heap_index;          /* SIZE_MAX when not scheduled */
	unsigned pass;              /* run_timers() pass it was armed in */
	struct ev_timer *prev, *next;  /* every timer of the loop */
	ev_timer_cb *cb;
	void *arg;
};

struct signal_handler {
	ev_signal_cb *cb;
	void *arg;
};

struct evloop {
	int epfd;
	bool stop;
	uint64_t now;
	struct ev_io *ios;          /* live watches */
	struct ev_io *garbage;      /* watches deleted, freed after the batch */
	struct ev_timer **heap;
	size_t heap_len, heap_cap;
	size_t timer_count;         /* live timers; heap_cap never falls below */
	struct ev_timer *firing;    /* timer whose callback runs right now */
	unsigned timer_pass;        /* counts run_timers() calls */
	struct ev_timer *timers;    /* all timers, scheduled or not */
	int sigfd;
	sigset_t sigmask;
	struct ev_io *sig_io;
	struct signal_handler signals[EVLOOP_SIGNALS];
};

static uint64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct evloop *evloop_new(void)
{
	struct evloop *loop = calloc(1, sizeof *loop);
	if (loop == NULL) {
		log_error("evloop", "error=\"out of memory\"");
		return NULL;
	}
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		log_error("evloop", "error=%s", log_quote(strerror(errno)));
		free(loop);
		return NULL;
	}
	loop->sigfd = -1;
	sigemptyset(&loop->sigmask);
	loop->now = monotonic_ms();
	return loop;
}

static void free_garbage(struct evloop *loop)
{
	while (loop->garbage != NULL) {
		struct ev_io *io = loop->garbage;
		loop->garbage = io->next;
		free(io);
	}
}

void evloop_free(struct evloop *loop)
{
	if (loop == NULL)
		return;
	while (loop->timers != NULL) {
		struct ev_timer *t = loop->timers;
		loop->timers = t->next;
		free(t);
	}
	free(loop->heap);
	while (loop->ios != NULL)
		evloop_del_io(loop->ios);
	free_garbage(loop);
	if (loop->sigfd >= 0)
		close(loop->sigfd);
	close(loop->epfd);
	free(loop);
}

static uint32_t to_epoll(unsigned events)
{
	return (events & EV_READ ? EPOLLIN : 0u) | (events & EV_WRITE ? EPOLLOUT : 0u);
}

struct ev_io *evloop_add_io(struct evloop *loop, int fd, unsigned events,
                            ev_io_cb *cb, void *arg)
{
	struct ev_io *io = calloc(1, sizeof *io);
	if (io == NULL) {
		log_error("evloop", "error=\"out of memory\"");
		return NULL;
	}
	*io = (struct ev_io){ .loop = loop, .fd = fd, .events = events, .cb = cb,
	                      .arg = arg };
	struct epoll_event ev = { .events = to_epoll(events), .data.ptr = io };
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		log_error("evloop", "op=add fd=%d error=%s", fd,
		          log_quote(strerror(errno)));
		free(io);
		return NULL;
	}
	io->next = loop->ios;
	if (loop->ios != NULL)
		loop->ios->prev = io;
	loop->ios = io;
	return io;
}

int evloop_io_set_events(struct ev_io *io, unsigned events)
{
	if (io->events == events)
		return 0;
	struct epoll_event ev = { .events = to_epoll(events), .data.ptr = io };
	if (epoll_ctl(io->loop->epfd, EPOLL_CTL_MOD, io->fd, &ev) < 0) {
		log_error("evloop", "op=mod fd=%d error=%s", io->fd,
		          log_quote(strerror(errno)));
		return -1;
	}
	io->events = events;
	return 0;
}

unsigned evloop_io_events(const struct ev_io *io)
{
	return io->events;
}

void evloop_del_io(struct ev_io *io)
{
	if (io == NULL || io->deleted)
		return;
	struct evloop *loop = io->loop;
	/* The fd may already be closed by the caller; EBADF is harmless. */
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	io->deleted = true;
	if (io->prev != NULL)
		io->prev->next = io->next;
	else
		loop->ios = io->next;
	if (io->next != NULL)
		io->next->prev = io->prev;
	/* An event for it may still wait in the current epoll batch. */
	io->prev = NULL;
	io->next = loop->garbage;
	loop->garbage = io;
}

/* --- timer heap (min-heap on deadline) --- */

static void heap_swap(struct evloop *loop, size_t a, size_t b)
{
	struct ev_timer *t = loop->heap[a];
	loop->heap[a] = loop->heap[b];
	loop->heap[b] = t;
	loop->heap[a]->heap_index = a;
	loop->heap[b]->heap_index = b;
}

static void heap_up(struct evloop *loop, size_t i)
{
	while (i > 0 && loop->heap[(i - 1) / 2]->deadline > loop->heap[i]->deadline) {
		heap_swap(loop, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(struct evloop *loop, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < loop->heap_len && loop->heap[l]->deadline < loop->heap[m]->deadline)
			m = l;
		if (r < loop->heap_len && loop->heap[r]->deadline < loop->heap[m]->deadline)
			m = r;
		if (m == i)
			return;
		heap_swap(loop, i, m);
		i = m;
	}
}

/* Never fails: evloop_add_timer() keeps room for every live timer. */
static void heap_push(struct evloop *loop, struct ev_timer *t)
{
	t->heap_index = loop->heap_len;
	t->pass = loop->timer_pass;
	loop->heap[loop->heap_len++] = t;
	heap_up(loop, t->heap_index);
}

/* Makes room in the heap for one more live timer.  Returns 0 or -1. */
static int heap_reserve(struct evloop *loop)
{
	if (loop->timer_count < loop->heap_cap)
		return 0;
	size_t cap = loop->heap_cap ? loop->heap_cap * 2 : EVLOOP_HEAP_FIRST;
	struct ev_timer **h = realloc(loop->heap, cap * sizeof *h);
	if (h == NULL) {
		log_error("evloop", "error=\"out of memory\"");
		return -1;
	}
	loop->heap = h;
	loop->heap_cap = cap;
	return 0;
}

static void heap_remove(struct evloop *loop, struct ev_timer *t)
{
	size_t i = t->heap_index;
	if (i == SIZE_MAX)
		return;
	loop->heap_len--;
	if (i != loop->heap_len) {
		loop->heap[i] = loop->heap[loop->heap_len];
		loop->heap[i]->heap_index = i;
		heap_down(loop, i);
		heap_up(loop, i);
	}
	t->heap_index = SIZE_MAX;
}

struct ev_timer *evloop_add_timer(struct evloop *loop, unsigned ms,
                                  bool repeat, ev_timer_cb *cb, void *arg)
{
	struct ev_timer *t = calloc(1, sizeof *t);
	if (t == NULL) {
		log_error("evloop", "error=\"out of memory\"");
		return NULL;
	}
	if (heap_reserve(loop) < 0) {
		free(t);
		return NULL;
	}
	*t = (struct ev_timer){ .loop = loop, .interval = ms, .repeat = repeat,
	                        .cb = cb, .arg = arg,
	                        .deadline = monotonic_ms() + ms };
	heap_push(loop, t);
	loop->timer_count++;
	t->next = loop->timers;
	if (loop->timers != NULL)
		loop->timers->prev = t;
	loop->timers = t;
	return t;
}

void evloop_timer_reset(struct ev_timer *t)
{
	struct evloop *loop = t->loop;
	t->deadline = monotonic_ms() + t->interval;
	if (t->heap_index == SIZE_MAX) {
		heap_push(loop, t);
		return;
	}
	t->pass = loop->timer_pass;
	heap_down(loop, t->heap_index);
	heap_up(loop, t->heap_index);
}

void evloop_timer_set(struct ev_timer *t, unsigned ms)
{
	t->interval = ms;
	evloop_timer_reset(t);
}

void evloop_del_timer(struct ev_timer *t)
{
	if (t == NULL || t->deleted)
		return;
	heap_remove(t->loop, t);
	t->loop->timer_count--;
	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		t->loop->timers = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	if (t->loop->firing == t) {
		t->deleted = true;   /* freed by run_timers() after the callback */
		return;
	}
	free(t);
}

/* Runs the timers that are due.  A timer armed by a callback of this pass
 * waits for the next one, so a 0 ms timer that re-arms itself cannot keep
 * the loop away from I/O forever. */
static void run_timers(struct evloop *loop)
{
	loop->timer_pass++;
	while (loop->heap_len > 0 && loop->heap[0]->deadline <= loop->now &&
	       loop->heap[0]->pass != loop->timer_pass && !loop->stop) {
		struct ev_timer *t = loop->heap[0];
		heap_remove(loop, t);
		if (t->repeat) {
			t->deadline = loop->now + (t->interval ? t->interval : 1);
			heap_push(loop, t);
		}
		loop->firing = t;
		t->cb(t, t->arg);
		loop->firing = NULL;
		if (t->deleted)
			free(t);
	}
}

static int next_timeout(const struct evloop *loop)
{
	if (loop->heap_len == 0)
		return -1;
	uint64_t d = loop->heap[0]->deadline;
	if (d <= loop->now)
		return 0;
	return d - loop->now > EVLOOP_MAX_WAIT_MS ? EVLOOP_MAX_WAIT_MS
	                                         : (int)(d - loop->now);
}

/* --- signals --- */

static void on_signalfd(struct ev_io *io, unsigned events, void *arg)
{
	struct evloop *loop = arg;
	struct signalfd_siginfo si;
	(void)io;
	(void)events;
	while (read(loop->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (si.ssi_signo < EVLOOP_SIGNALS && loop->signals[si.ssi_signo].cb)
			loop->signals[si.ssi_signo].cb((int)si.ssi_signo,
			                               loop->signals[si.ssi_signo].arg);
	}
}

int evloop_add_signal(struct evloop *loop, int signo, ev_signal_cb *cb,
                      void *arg)
{
	if (signo <= 0 || signo >= EVLOOP_SIGNALS) {
		log_error("evloop", "error=\"bad signal\" signal=%d", signo);
		return -1;
	}
	sigaddset(&loop->sigmask, signo);
	if (sigprocmask(SIG_BLOCK, &loop->sigmask, NULL) < 0) {
		log_error("evloop", "op=sigprocmask error=%s", log_quote(strerror(errno)));
		return -1;
	}
	int fd = signalfd(loop->sigfd, &loop->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0) {
		log_error("evloop", "op=signalfd error=%s", log_quote(strerror(errno)));
		return -1;
	}
	loop->sigfd = fd;
	loop->signals[signo] = (struct signal_handler){ cb, arg };
	if (loop->sig_io == NULL) {
		loop->sig_io = evloop_add_io(loop, fd, EV_READ, on_signalfd, loop);
		if (loop->sig_io == NULL)
			return -1;
	}
	return 0;
}

int evloop_unblock_signals(const struct evloop *loop)
{
	if (sigprocmask(SIG_UNBLOCK, &loop->sigmask, NULL) < 0) {
		log_error("evloop", "op=sigprocmask error=%s", log_quote(strerror(errno)));
		return -1;
	}
	return 0;
}

/* --- the loop --- */

static void dispatch(struct epoll_event *evs, int n)
{
	for (int i = 0; i < n; i++) {
		struct ev_io *io = evs[i].data.ptr;
		if (io->deleted)
			continue;
		unsigned ready = 0;
		if (evs[i].events & EPOLLIN)
			ready |= EV_READ;
		if (evs[i].events & EPOLLOUT)
			ready |= EV_WRITE;
		/* Errors reach the owner through whatever it waits for. */
		if (evs[i].events & (EPOLLERR | EPOLLHUP))
			ready |= io->events ? io->events : EV_READ;
		io->cb(io, ready, io->arg);
		if (io->loop->stop)
			return;
	}
}

int evloop_run(struct evloop *loop)
{
	struct epoll_event evs[EVLOOP_BATCH];
	loop->stop = false;
	while (!loop->stop) {
		loop->now = monotonic_ms();
		int n = epoll_wait(loop->epfd, evs, EVLOOP_BATCH, next_timeout(loop));
		if (n < 0 && errno != EINTR) {
			log_error("evloop", "op=epoll_wait error=%s", log_quote(strerror(errno)));
			return -1;
		}
		loop->now = monotonic_ms();
		if (n > 0)
			dispatch(evs, n);
		free_garbage(loop);
		run_timers(loop);
		free_garbage(loop);
	}
	return 0;
}

void evloop_stop(struct evloop *loop)
{
	loop->stop = true;
}

uint64_t evloop_now_ms(struct evloop *loop)
{
	return loop->now;
}

int fd_set_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		log_error("fd_nonblock", "fd=%d error=%s", fd, log_quote(strerror(errno)));
		return -1;
	}
	return 0;
}

int fd_set_cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);
	if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) {
		log_error("fd_cloexec", "fd=%d error=%s", fd, log_quote(strerror(errno)));
		return -1;
	}
	return 0;
}
