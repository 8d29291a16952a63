/*
 * stats.c - per-process counters in a shared-memory segment (see
 * stats.h): the writer side (open, count, heartbeat) and the reader side
 * (read one segment, walk them all).
 */
#include "stats.h"

#include "evloop.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STATS_MAGIC   0x53534d45u   /* "EMSS" */
#define STATS_VERSION 2u
#define STATS_DIR     "stats"
/* Segments stats_each() visits at most; a node runs far fewer processes. */
#define STATS_EACH_MAX 1024

/* The segment as it lies in the file.  Only the owning process writes
 * it; requests to the process go over the guardian's control channel. */
struct stats_seg {
	uint32_t magic;
	uint32_t version;
	int32_t pid;
	int32_t instance;
	char program[STATS_NAME_MAX];
	int64_t started;
	int64_t wakeup;
	int64_t heartbeat_ms;
	uint32_t heartbeat_interval_ms;
	uint32_t reserved;
	uint64_t values[STAT_COUNTERS];
};

static const char *const imap_commands[STAT_IMAP_CMD_COUNT] = {
	"CAPABILITY", "NOOP", "LOGOUT", "STARTTLS", "AUTHENTICATE", "LOGIN",
	"SELECT", "EXAMINE", "CREATE", "DELETE", "RENAME", "SUBSCRIBE",
	"UNSUBSCRIBE", "LIST", "LSUB", "STATUS", "APPEND", "CHECK", "CLOSE",
	"EXPUNGE", "SEARCH", "FETCH", "STORE", "COPY", "MOVE", "UID", "IDLE",
	"ENABLE", "NAMESPACE", "ID", "UNSELECT", "GETQUOTAROOT", "GETQUOTA",
	"OTHER",
};

static const char *const counter_names[STAT_IMAP_CMD_FIRST] = {
	"conn_current", "conn_total", "conn_max", "conn_too_many",
	"disc_normal", "disc_abnormal", "client_timeouts", "blocked_sockets",
	"retr_messages", "retr_octets", "retr_min", "retr_max", "logins",
	"auth_failures", "users_current", "tls_handshakes", "tls_failures",
	"mail_accepted", "mail_rejected", "mail_delivered", "mail_bounced",
	"mail_deferred", "mail_sent", "queue_depth", "latency_count",
	"latency_sum_ms", "latency_max_ms", "collect_runs", "collect_messages",
	"collect_entries", "collect_queue", "store_bytes", "disk_free_mb",
	"cert_days_left", "idle_reads", "idle_updates",
};

/* Counts go here until stats_open() maps the real segment. */
static struct stats_seg private_seg;
static struct {
	struct stats_seg *seg;
	char path[4096];
	bool mapped;
	struct ev_timer *timer;
} me = { &private_seg, "", false, NULL };

int64_t stats_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void seg_path(char *buf, size_t size, const char *run_dir, pid_t pid)
{
	snprintf(buf, size, "%s/" STATS_DIR "/%ld.stats", run_dir, (long)pid);
}

/* ---- writer ---- */

static int map_new(const char *path, struct stats_seg **out)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -1;
	void *p = MAP_FAILED;
	if (ftruncate(fd, sizeof(struct stats_seg)) == 0)
		p = mmap(NULL, sizeof(struct stats_seg), PROT_READ | PROT_WRITE,
		         MAP_SHARED, fd, 0);
	int saved = errno;
	close(fd);
	errno = saved;
	if (p == MAP_FAILED) {
		unlink(path);
		errno = saved;
		return -1;
	}
	*out = p;
	return 0;
}

int stats_open(const char *run_dir, const char *program, int instance)
{
	char dir[4096];
	struct stats_seg *seg;

	if (me.mapped)
		return 0;
	snprintf(dir, sizeof dir, "%s/" STATS_DIR, run_dir);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		log_warn("stats_open", "path=%s error=%s", log_quote(dir),
		         log_quote(strerror(errno)));
		return -1;
	}
	seg_path(me.path, sizeof me.path, run_dir, getpid());
	if (map_new(me.path, &seg) < 0) {
		log_warn("stats_open", "path=%s error=%s", log_quote(me.path),
		         log_quote(strerror(errno)));
		return -1;
	}
	*seg = private_seg;
	seg->pid = (int32_t)getpid();
	seg->instance = instance;
	snprintf(seg->program, sizeof seg->program, "%s", program);
	seg->started = (int64_t)time(NULL);
	seg->version = STATS_VERSION;
	/* Last: a reader takes the segment as valid once the magic is set. */
	__atomic_store_n(&seg->magic, STATS_MAGIC, __ATOMIC_RELEASE);
	me.seg = seg;
	me.mapped = true;
	return 0;
}

int stats_start(struct evloop *loop, const char *run_dir, const char *program,
                int instance)
{
	if (stats_open(run_dir, program, instance) < 0)
		return -1;
	return stats_heartbeat_start(loop, STATS_HEARTBEAT_MS);
}

void stats_close(void)
{
	if (!me.mapped)
		return;
	private_seg = *me.seg;
	munmap(me.seg, sizeof *me.seg);
	unlink(me.path);
	me.seg = &private_seg;
	me.mapped = false;
	evloop_del_timer(me.timer);
	me.timer = NULL;
}

void stats_heartbeat(void)
{
	__atomic_store_n(&me.seg->heartbeat_ms, stats_now_ms(), __ATOMIC_RELAXED);
}

static void on_heartbeat(struct ev_timer *t, void *arg)
{
	(void)t;
	(void)arg;
	stats_heartbeat();
}

int stats_heartbeat_start(struct evloop *loop, unsigned interval_ms)
{
	if (interval_ms == 0)
		interval_ms = 1000;
	evloop_del_timer(me.timer);
	me.timer = evloop_add_timer(loop, interval_ms, true, on_heartbeat, NULL);
	if (me.timer == NULL)
		return -1;
	stats_heartbeat();
	__atomic_store_n(&me.seg->heartbeat_interval_ms, interval_ms, __ATOMIC_RELAXED);
	return 0;
}

void stats_wakeup(void)
{
	__atomic_store_n(&me.seg->wakeup, (int64_t)time(NULL), __ATOMIC_RELAXED);
}

void stats_add(enum stats_counter c, uint64_t n)
{
	/* One writer (this single-threaded process): a relaxed load and
	 * store, without the bus lock of an atomic add; readers still never
	 * see a torn value. */
	if ((unsigned)c < STAT_COUNTERS)
		__atomic_store_n(&me.seg->values[c],
		                 __atomic_load_n(&me.seg->values[c], __ATOMIC_RELAXED) + n,
		                 __ATOMIC_RELAXED);
}

void stats_set(enum stats_counter c, uint64_t v)
{
	if ((unsigned)c < STAT_COUNTERS)
		__atomic_store_n(&me.seg->values[c], v, __ATOMIC_RELAXED);
}

void stats_max(enum stats_counter c, uint64_t v)
{
	/* One writer per segment: a plain compare is enough. */
	if ((unsigned)c < STAT_COUNTERS && v > stats_get(c))
		stats_set(c, v);
}

uint64_t stats_get(enum stats_counter c)
{
	if ((unsigned)c >= STAT_COUNTERS)
		return 0;
	return __atomic_load_n(&me.seg->values[c], __ATOMIC_RELAXED);
}

void stats_conn_open(void)
{
	stats_inc(STAT_CONN_CURRENT);
	stats_inc(STAT_CONN_TOTAL);
	stats_max(STAT_CONN_MAX, stats_get(STAT_CONN_CURRENT));
}

void stats_conn_close(bool normal)
{
	if (stats_get(STAT_CONN_CURRENT) > 0)
		stats_set(STAT_CONN_CURRENT, stats_get(STAT_CONN_CURRENT) - 1);
	stats_inc(normal ? STAT_DISC_NORMAL : STAT_DISC_ABNORMAL);
}

void stats_login(void)
{
	stats_inc(STAT_LOGINS);
	stats_inc(STAT_USERS_CURRENT);
}

void stats_logout(void)
{
	if (stats_get(STAT_USERS_CURRENT) > 0)
		stats_set(STAT_USERS_CURRENT, stats_get(STAT_USERS_CURRENT) - 1);
}

void stats_conn_end(bool normal, bool logged_in)
{
	stats_conn_close(normal);
	if (logged_in)
		stats_logout();
}

void stats_retrieved(uint64_t octets)
{
	uint64_t min = stats_get(STAT_RETR_MIN);
	if (stats_get(STAT_RETR_MESSAGES) == 0 || octets < min)
		stats_set(STAT_RETR_MIN, octets);
	stats_max(STAT_RETR_MAX, octets);
	stats_add(STAT_RETR_OCTETS, octets);
	stats_inc(STAT_RETR_MESSAGES);
}

void stats_latency(uint64_t ms)
{
	stats_inc(STAT_LATENCY_COUNT);
	stats_add(STAT_LATENCY_SUM_MS, ms);
	stats_max(STAT_LATENCY_MAX_MS, ms);
}

void stats_imap_command(const char *name)
{
	int i = 0;
	for (; i < STAT_IMAP_CMD_COUNT - 1; i++)
		if (strcasecmp(name, imap_commands[i]) == 0)
			break;
	stats_inc((enum stats_counter)(STAT_IMAP_CMD_FIRST + i));
}

/* ---- names ---- */

const char *stats_counter_name(enum stats_counter c)
{
	static char imap_names[STAT_IMAP_CMD_COUNT][STATS_NAME_MAX];

	if ((unsigned)c < STAT_IMAP_CMD_FIRST)
		return counter_names[c];
	if ((unsigned)c >= STAT_COUNTERS)
		return NULL;
	char *n = imap_names[c - STAT_IMAP_CMD_FIRST];
	if (*n == '\0') {
		const char *cmd = imap_commands[c - STAT_IMAP_CMD_FIRST];
		size_t i = snprintf(n, STATS_NAME_MAX, "imap_");
		for (; *cmd != '\0' && i + 1 < STATS_NAME_MAX; cmd++)
			n[i++] = (char)(*cmd | 0x20);   /* A-Z to a-z */
		n[i] = '\0';
	}
	return n;
}

int stats_counter_find(const char *name)
{
	for (int c = 0; c < STAT_COUNTERS; c++)
		if (strcmp(stats_counter_name((enum stats_counter)c), name) == 0)
			return c;
	return -1;
}

bool stats_counter_is_gauge(enum stats_counter c)
{
	return c == STAT_CONN_CURRENT || c == STAT_USERS_CURRENT ||
	       c == STAT_QUEUE_DEPTH || c == STAT_STORE_BYTES ||
	       c == STAT_DISK_FREE_MB || c == STAT_CERT_DAYS_LEFT;
}

/* ---- readers ---- */

/* Maps the segment at PATH (read-write when WRITABLE).  Returns it or
 * NULL with errno set (EINVAL: not a segment of this version). */
/* Maps the segment at PATH read-only: readers never write to it. */
static struct stats_seg *map_existing(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat sb;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &sb) < 0 || sb.st_size != (off_t)sizeof(struct stats_seg)) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	void *p = mmap(NULL, sizeof(struct stats_seg),
	               PROT_READ, MAP_SHARED, fd, 0);
	int saved = errno;
	close(fd);
	errno = saved;
	if (p == MAP_FAILED)
		return NULL;
	struct stats_seg *seg = p;
	if (__atomic_load_n(&seg->magic, __ATOMIC_ACQUIRE) != STATS_MAGIC ||
	    seg->version != STATS_VERSION) {
		munmap(p, sizeof *seg);
		errno = EINVAL;
		return NULL;
	}
	return seg;
}

int stats_read(const char *run_dir, pid_t pid, struct stats_snapshot *out)
{
	char path[4096];
	seg_path(path, sizeof path, run_dir, pid);
	struct stats_seg *seg = map_existing(path);
	if (seg == NULL) {
		if (errno != ENOENT)
			log_debug("stats_read", "path=%s error=%s", log_quote(path),
			          log_quote(strerror(errno)));
		return -1;
	}
	memset(out, 0, sizeof *out);
	out->pid = seg->pid;
	memcpy(out->program, seg->program, sizeof out->program);
	out->program[sizeof out->program - 1] = '\0';
	out->instance = seg->instance;
	out->started = seg->started;
	out->wakeup = __atomic_load_n(&seg->wakeup, __ATOMIC_RELAXED);
	out->heartbeat_ms = __atomic_load_n(&seg->heartbeat_ms, __ATOMIC_RELAXED);
	out->heartbeat_interval_ms = __atomic_load_n(&seg->heartbeat_interval_ms,
	                                             __ATOMIC_RELAXED);
	for (int c = 0; c < STAT_COUNTERS; c++)
		out->values[c] = __atomic_load_n(&seg->values[c], __ATOMIC_RELAXED);
	munmap(seg, sizeof *seg);
	return 0;
}

void stats_remove(const char *run_dir, pid_t pid)
{
	char path[4096];
	seg_path(path, sizeof path, run_dir, pid);
	if (unlink(path) < 0 && errno != ENOENT)
		log_debug("stats_remove", "path=%s error=%s", log_quote(path),
		          log_quote(strerror(errno)));
}

/* A pid taken from a file name: digits only, in range. */
static pid_t name_pid(const char *name)
{
	char *end;
	long v = strtol(name, &end, 10);
	if (end == name || strcmp(end, ".stats") != 0 || v <= 0 || v > 0x3fffffff)
		return 0;
	return (pid_t)v;
}

int stats_sweep(const char *run_dir)
{
	char dir[4096];
	int n = 0;
	snprintf(dir, sizeof dir, "%s/" STATS_DIR, run_dir);
	DIR *d = opendir(dir);
	if (d == NULL)
		return 0;
	const struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		pid_t pid = name_pid(e->d_name);
		if (pid != 0 && kill(pid, 0) < 0 && errno == ESRCH) {
			stats_remove(run_dir, pid);
			n++;
		}
	}
	closedir(d);
	return n;
}

static int by_program(const void *a, const void *b)
{
	const struct stats_snapshot *x = a, *y = b;
	int c = strcmp(x->program, y->program);
	return c != 0 ? c : (x->instance > y->instance) - (x->instance < y->instance);
}

/* Reads the live segments of DIR into *OUT (malloc'ed); returns how many
 * or -1 (logged). */
static int collect(const char *run_dir, const char *dir, struct stats_snapshot **out)
{
	DIR *d = opendir(dir);
	int n = 0;
	*out = NULL;
	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		log_warn("stats_each", "path=%s error=%s", log_quote(dir),
		         log_quote(strerror(errno)));
		return -1;
	}
	struct stats_snapshot *all = calloc(STATS_EACH_MAX, sizeof *all);
	if (all == NULL) {
		closedir(d);
		log_error("out_of_memory", "what=stats_each");
		return -1;
	}
	const struct dirent *e;
	while (n < STATS_EACH_MAX && (e = readdir(d)) != NULL) {
		pid_t pid = name_pid(e->d_name);
		if (pid == 0 || (kill(pid, 0) < 0 && errno == ESRCH))
			continue;
		if (stats_read(run_dir, pid, &all[n]) == 0 && all[n].pid == pid)
			n++;
	}
	closedir(d);
	qsort(all, (size_t)n, sizeof *all, by_program);
	*out = all;
	return n;
}

int stats_each(const char *run_dir,
               int (*each)(const struct stats_snapshot *s, void *ctx), void *ctx)
{
	char dir[4096];
	struct stats_snapshot *all;
	snprintf(dir, sizeof dir, "%s/" STATS_DIR, run_dir);
	int n = collect(run_dir, dir, &all);
	int i = 0;
	for (; i < n; i++)
		if (each(&all[i], ctx) != 0) {
			i++;
			break;
		}
	free(all);
	return n < 0 ? -1 : i;
}
