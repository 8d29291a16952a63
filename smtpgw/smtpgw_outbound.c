/*
 * smtpgw_outbound.c - outbound mode of smtpgw's daemon: mail postman
 * queued for the outside world (bounces, auto-replies, forwards) is
 * handed to the local MTA by running
 *
 *     <outbound.command> -f SENDER -- RECIPIENT...
 *
 * (default "/usr/sbin/sendmail -i") with the message on stdin.  Up to
 * outbound.concurrency commands run at once.  Exit 0 finishes the item;
 * 65, 67 and 68 (the message, the recipient or its domain refused) give
 * it up at once; anything else is retried with a doubling delay
 * (outbound.retry_initial_s up to outbound.retry_max_s) until the item is
 * outbound.max_age_s old, when it is given up with a log line.  A command running longer than
 * outbound.timeout_s is killed and retried.  Postman's wakeup on the
 * outbound channel starts work at once; a timer catches retries.
 *
 * The queue's writes (the lease of the next item, done, retry, give up)
 * run on the worker's store pool, never on the loop the LMTP sessions
 * share: a lock held elsewhere delays outbound mail, not LMTP clients.
 * One lease is in flight at a time.
 */
#include "smtpgw.h"

#include "config.h"
#include "evloop.h"
#include "log.h"
#include "stats.h"
#include "store.h"
#include "store_pool.h"
#include "store_read.h"
#include "wakeup.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OUTBOUND_JOBS_MAX 64
/* How often due retries and job timeouts are looked at. */
#define OUTBOUND_TICK_MS 2000
/* Words of the configured command. */
#define OUTBOUND_ARGV_MAX 32
/* Output of a failed command kept for the log. */
#define OUTBOUND_ERR_MAX 200

static const char *const default_command[] = { "/usr/sbin/sendmail", "-i", NULL };

struct job {
	pid_t pid;                  /* 0: slot free */
	struct store_queue_item item;
	int output;                 /* memfd with the command's stdout/stderr */
	int64_t started;
};

static struct {
	struct smtpgw *g;
	const char **command;       /* NULL-terminated */
	struct wakeup_listener *wake;
	struct ev_io *wake_io;
	struct ev_timer *tick;
	struct job jobs[OUTBOUND_JOBS_MAX];
	int concurrency, running;
	struct store_job *leasing;  /* the lease in flight, or NULL */
} ob;

static void pump(void);

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

/* A memfd holding message MESSAGE_ID (of queue item ID), read through
 * ST, at offset 0; -1 after logging.  A read, run as store_read.h says. */
static int message_fd(struct store *st, int64_t message_id, int64_t id)
{
	void *data = NULL;
	size_t len = 0;
	int fd = -1;

	if (store_message_get(st, message_id, &data, &len) < 0)
		return -1;
	fd = memfd_create("ems-outbound", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET) < 0) {
		log_error("outbound_message", "id=%lld error=%s", (long long)id,
		          log_quote(strerror(errno)));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	free(data);
	return fd;
}

/* The argv of the command for ITEM (malloc'ed array, strings borrowed). */
static char **command_argv(const struct store_queue_item *item)
{
	size_t n = 0;
	while (ob.command[n] != NULL)
		n++;
	char **argv = calloc(n + 4 + item->nrecipients + 1, sizeof *argv);
	if (argv == NULL)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		argv[k++] = (char *)ob.command[i];
	argv[k++] = "-f";
	argv[k++] = item->sender[0] ? item->sender : "<>";
	argv[k++] = "--";
	for (size_t i = 0; i < item->nrecipients; i++)
		argv[k++] = item->recipients[i];
	return argv;
}

static void child(int in, int out, char **argv)
{
	evloop_unblock_signals(ob.g->loop);
	signal(SIGPIPE, SIG_DFL);
	if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
	    dup2(out, STDERR_FILENO) < 0)
		_exit(EXIT_TEMPFAIL);
	execvp(argv[0], argv);
	dprintf(STDERR_FILENO, "cannot run %s: %s", argv[0], strerror(errno));
	_exit(EXIT_TEMPFAIL);
}

/* Starts the command for the item in J with the message in IN (closed
 * here; -1: it could not be read).  Returns 0 or -1 (logged). */
static int job_start(struct job *j, int in)
{
	char **argv = in >= 0 ? command_argv(&j->item) : NULL;
	j->output = argv ? memfd_create("ems-outbound-out", MFD_CLOEXEC) : -1;
	pid_t pid = j->output >= 0 ? fork() : -1;

	if (pid == 0)
		child(in, j->output, argv);
	if (pid < 0) {
		log_error("outbound_start", "id=%lld error=%s", (long long)j->item.id,
		          log_quote(strerror(errno)));
		if (j->output >= 0)
			close(j->output);
	}
	if (in >= 0)
		close(in);
	free(argv);
	if (pid < 0)
		return -1;
	j->pid = pid;
	j->started = now_s();
	ob.running++;
	log_info("outbound_run", "id=%lld pid=%d sender=%s rcpt=%s rcpts=%zu attempt=%d",
	         (long long)j->item.id, (int)pid,
	         log_quote(j->item.sender[0] ? j->item.sender : "<>"),
	         log_quote(j->item.recipients[0]), j->item.nrecipients, j->item.attempts);
	return 0;
}

/* The delay before attempt ATTEMPTS + 1. */
static int64_t backoff(int attempts)
{
	int64_t d = config_int(ob.g->cfg, "outbound.retry_initial_s");
	int64_t max = config_int(ob.g->cfg, "outbound.retry_max_s");
	for (int i = 1; i < attempts && d < max; i++)
		d *= 2;
	return d < max ? d : max;
}

/* What the command said, cut to one line, into OUT. */
static void command_output(int fd, char *out, size_t len)
{
	ssize_t n = pread(fd, out, len - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	for (char *p = out; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

/* True for the sysexits(3) codes of the MTA command that no retry can
 * change: the message (EX_DATAERR), the recipient (EX_NOUSER) or its
 * domain (EX_NOHOST) is refused. */
static bool exit_is_permanent(int code)
{
	return code == EXIT_DATAERR || code == EXIT_NOUSER || code == EXIT_NOHOST;
}

/* ---- the queue's writes, on the pool ---- */

enum finish_kind { FINISH_DONE, FINISH_RETRY, FINISH_GIVE_UP };

struct finish_job {
	enum finish_kind kind;
	int64_t id, next;
	char why[OUTBOUND_ERR_MAX + 64];
	char rcpt[256];             /* the first recipient, for the log */
};

static int finish_run(struct store *st, void *local, void *ctx)
{
	const struct finish_job *f = ctx;
	(void)local;
	switch (f->kind) {
	case FINISH_DONE: return store_queue_done(st, STORE_QUEUE_OUTBOUND, f->id);
	case FINISH_RETRY:
		return store_queue_retry(st, STORE_QUEUE_OUTBOUND, f->id, f->next, NULL, 0, f->why);
	case FINISH_GIVE_UP: return store_queue_fail(st, STORE_QUEUE_OUTBOUND, f->id, f->why);
	}
	return -1;
}

/* A write that failed leaves the item leased: it is due again when the
 * lease runs out. */
static void finish_done(void *ctx, int rc, enum store_error err)
{
	const struct finish_job *f = ctx;
	if (rc < 0) {
		log_warn("outbound_store", "id=%lld step=%d error=%s", (long long)f->id,
		         (int)f->kind, err == STORE_E_TRANSIENT ? "transient" : "failed");
		return;
	}
	if (f->kind == FINISH_DONE) {
		stats_inc(STAT_MAIL_SENT);
		log_info("outbound_sent", "id=%lld rcpt=%s", (long long)f->id, log_quote(f->rcpt));
	}
}

static const struct store_job_ops finish_ops = { "outbound_finish", STORE_JOB_WRITE,
	                                         finish_run, finish_done, free };

static void finish(const struct job *j, enum finish_kind kind, int64_t next, const char *why)
{
	struct finish_job *f = calloc(1, sizeof *f);
	if (f == NULL) {
		log_error("outbound_store", "id=%lld error=\"out of memory\"", (long long)j->item.id);
		return;
	}
	f->kind = kind;
	f->id = j->item.id;
	f->next = next;
	snprintf(f->why, sizeof f->why, "%s", why ? why : "");
	snprintf(f->rcpt, sizeof f->rcpt, "%s", j->item.recipients[0]);
	store_pool_submit(ob.g->pool, &finish_ops, f);
}

struct lease_job {
	int slot;
	int64_t now, lease;
	struct store_queue_item item;
};

static int lease_run(struct store *st, void *local, void *ctx)
{
	struct lease_job *l = ctx;
	(void)local;
	return store_queue_next(st, STORE_QUEUE_OUTBOUND, l->now, l->lease, &l->item);
}

static void job_failed(struct job *j, const char *why, bool permanent);

/* The leased item's message, read into a memfd (store_read.h: at once on
 * SQLite, on the pool on a database server); ob.leasing holds the read
 * meanwhile, so no other slot is leased. */
struct body_read {
	int slot;
	int64_t message_id, id;         /* copied: the slot is the loop's */
	int fd;
};

static int body_run(struct store *st, void *ctx)
{
	struct body_read *b = ctx;
	b->fd = message_fd(st, b->message_id, b->id);
	return b->fd < 0 ? -1 : 0;
}

static void body_apply(void *ctx, int rc, enum store_error err, bool later)
{
	struct body_read *b = ctx;
	struct job *j = &ob.jobs[b->slot];
	(void)rc;
	(void)err;
	if (job_start(j, b->fd) < 0) {
		job_failed(j, "cannot start the outbound command", false);
		store_queue_item_clear(&j->item);
	}
	b->fd = -1;   /* job_start() closed it */
	if (later)
		pump();
}

static void body_free(void *ctx)
{
	struct body_read *b = ctx;
	if (b->fd >= 0)
		close(b->fd);
	free(b);
}

static const struct store_read_ops body_ops = { body_run, body_apply, body_free };

/* Nothing due, or the store busy: the tick or the next wake-up tries
 * again. */
static void lease_done(void *ctx, int rc, enum store_error err)
{
	struct lease_job *l = ctx;
	struct job *j = &ob.jobs[l->slot];
	(void)err;
	ob.leasing = NULL;
	if (rc < 0)
		return;
	j->item = l->item;
	memset(&l->item, 0, sizeof l->item);
	struct body_read *b = calloc(1, sizeof *b);
	if (b == NULL) {
		job_failed(j, "out of memory", false);
		store_queue_item_clear(&j->item);
		return;
	}
	b->slot = l->slot;
	b->message_id = j->item.message_id;
	b->id = j->item.id;
	b->fd = -1;
	if (store_read_start(ob.g->pool, ob.g->store, &body_ops, b, &ob.leasing) < 0) {
		job_failed(j, "cannot read the message", false);
		store_queue_item_clear(&j->item);
		return;
	}
	pump();
}

static void lease_free(void *ctx)
{
	struct lease_job *l = ctx;
	store_queue_item_clear(&l->item);
	free(l);
}

static const struct store_job_ops lease_ops = { "outbound_lease", STORE_JOB_WRITE, lease_run,
	                                        lease_done, lease_free };

/* Retries J later, or gives it up when PERMANENT or too old. */
static void job_failed(struct job *j, const char *why, bool permanent)
{
	int64_t age = now_s() - j->item.created;
	int64_t next = now_s() + backoff(j->item.attempts);

	if (permanent || age >= config_int(ob.g->cfg, "outbound.max_age_s")) {
		log_warn("outbound_giveup", "id=%lld rcpt=%s attempts=%d age_s=%lld "
		         "reason=%s error=%s", (long long)j->item.id,
		         log_quote(j->item.recipients[0]), j->item.attempts, (long long)age,
		         permanent ? "permanent" : "max_age", log_quote(why));
		finish(j, FINISH_GIVE_UP, 0, why);
		return;
	}
	log_info("outbound_retry", "id=%lld attempts=%d next_in_s=%lld error=%s",
	         (long long)j->item.id, j->item.attempts, (long long)(next - now_s()),
	         log_quote(why));
	finish(j, FINISH_RETRY, next, why);
}

static void job_done(struct job *j, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		finish(j, FINISH_DONE, 0, NULL);
	} else {
		char out[OUTBOUND_ERR_MAX], why[OUTBOUND_ERR_MAX + 64];
		command_output(j->output, out, sizeof out);
		if (WIFEXITED(status))
			snprintf(why, sizeof why, "exit %d: %s", WEXITSTATUS(status), out);
		else
			snprintf(why, sizeof why, "signal %d: %s", WTERMSIG(status), out);
		job_failed(j, why, WIFEXITED(status) && exit_is_permanent(WEXITSTATUS(status)));
	}
	close(j->output);
	store_queue_item_clear(&j->item);
	j->pid = 0;
	ob.running--;
}

/* Leases the next due item for a free slot, while there is room. */
static void pump(void)
{
	if (ob.leasing != NULL || ob.g == NULL || ob.running >= ob.concurrency)
		return;
	for (int i = 0; i < ob.concurrency; i++) {
		if (ob.jobs[i].pid != 0)
			continue;
		struct lease_job *l = calloc(1, sizeof *l);
		if (l == NULL)
			return;   /* the tick tries again */
		l->slot = i;
		l->now = now_s();
		l->lease = config_int(ob.g->cfg, "outbound.timeout_s") + 60;
		ob.leasing = store_pool_submit(ob.g->pool, &lease_ops, l);
		return;
	}
}

static void on_child(int signo, void *arg)
{
	pid_t pid;
	int status;
	(void)signo;
	(void)arg;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (int i = 0; i < ob.concurrency; i++)
			if (ob.jobs[i].pid == pid)
				job_done(&ob.jobs[i], status);
	pump();
}

static void on_tick(struct ev_timer *t, void *arg)
{
	int64_t timeout = config_int(ob.g->cfg, "outbound.timeout_s");
	(void)t;
	(void)arg;

	for (int i = 0; i < ob.concurrency; i++)
		if (ob.jobs[i].pid > 0 && now_s() - ob.jobs[i].started > timeout) {
			log_warn("outbound_timeout", "id=%lld pid=%d", (long long)ob.jobs[i].item.id,
			         (int)ob.jobs[i].pid);
			kill(ob.jobs[i].pid, SIGKILL);
		}
	pump();
}

static void on_wake(struct ev_io *io, unsigned events, void *arg)
{
	int64_t ids[64];
	(void)io;
	(void)events;
	(void)arg;
	while (wakeup_read(ob.wake, ids, 64) > 0)
		;
	pump();
}

int outbound_start(struct smtpgw *g)
{
	static const char *argv[OUTBOUND_ARGV_MAX + 1];
	char name[64];
	int n = config_list_len(g->cfg, "outbound.command");
	const char **words = config_strlist(g->cfg, "outbound.command", &n);

	if (words == NULL)
		return -1;
	for (int i = 0; i < n && i < OUTBOUND_ARGV_MAX; i++)
		argv[i] = words[i];
	free(words);
	ob.g = g;
	ob.command = n > 0 ? argv : (const char **)default_command;
	ob.concurrency = (int)config_int(g->cfg, "outbound.concurrency");
	snprintf(name, sizeof name, "smtpgw%d", (int)getpid());
	if (evloop_add_signal(g->loop, SIGCHLD, on_child, NULL) < 0 ||
	    (ob.tick = evloop_add_timer(g->loop, OUTBOUND_TICK_MS, true, on_tick, NULL)) == NULL)
		return -1;
	ob.wake = wakeup_listen_on(g->run_dir, WAKEUP_CHANNEL_OUTBOUND, name);
	if (ob.wake != NULL &&
	    (ob.wake_io = evloop_add_io(g->loop, wakeup_fd(ob.wake), EV_READ, on_wake,
	                                NULL)) == NULL)
		return -1;
	log_info("outbound_ready", "command=%s concurrency=%d", log_quote(ob.command[0]),
	         ob.concurrency);
	pump();
	return 0;
}

void outbound_stop(void)
{
	/* Running commands finish on their own; their items' leases make
	 * them due again if this process is gone before it saw them end. */
	store_job_cancel(ob.leasing);
	evloop_del_io(ob.wake_io);
	evloop_del_timer(ob.tick);
	wakeup_close(ob.wake);
	for (int i = 0; i < ob.concurrency; i++)
		if (ob.jobs[i].pid != 0) {
			close(ob.jobs[i].output);
			store_queue_item_clear(&ob.jobs[i].item);
		}
	memset(&ob, 0, sizeof ob);
}
