/*
 * oomgr_stats.c - `disp stats [NAME]`: the counters of the running
 * processes, read from their statistics segments (stats.h) without the
 * guardian; and `disp stats NAME history [counter=C] [period=hour|day]`:
 * a counter's samples from the store (written by the statistics process)
 * as a terminal chart (oomgr_chart.c).  --json gives both to scripts.
 */
#include "oomgr.h"
#include "oomgr_admin.h"
#include "oomgr_chart.h"

#include "config.h"
#include "stats.h"
#include "store.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DEFAULT_COUNTER "conn_total"

struct listing {
	const char *name;           /* NULL: every process */
	bool json;
	int shown;
};

/* NAME as the program ("pop3srv", "POP3SRV") or program and instance
 * ("pop3srv01"). */
static bool name_matches(const struct stats_snapshot *s, const char *name)
{
	char full[STATS_NAME_MAX + 8];
	snprintf(full, sizeof full, "%s%02d", s->program, s->instance);
	return name == NULL || strcasecmp(name, s->program) == 0 ||
	       strcasecmp(name, full) == 0;
}

/* The protocol workers show the whole XTND STATS set, zeros too. */
static bool xtnd_program(const char *program)
{
	return strcmp(program, "pop3srv") == 0 || strcmp(program, "imap4srv") == 0;
}

static const char *when(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (t <= 0 || localtime_r(&tt, &tm) == NULL)
		return "-";
	strftime(buf, size, "%d %b %H:%M:%S", &tm);
	return buf;
}

static void print_text(const struct stats_snapshot *s)
{
	char a[32], b[32];
	const uint64_t *v = s->values;
	printf("%s%02d  pid %d  started %s  last wakeup %s\n", s->program, s->instance,
	       (int)s->pid, when(s->started, a, sizeof a), when(s->wakeup, b, sizeof b));
	for (int c = 0; c < STAT_COUNTERS; c++)
		if (v[c] != 0 || (xtnd_program(s->program) && c <= STAT_TLS_FAILURES))
			printf("  %-22s %llu\n", stats_counter_name((enum stats_counter)c),
			       (unsigned long long)v[c]);
	if (v[STAT_RETR_MESSAGES] > 0)
		printf("  %-22s %llu\n", "retr_avg",
		       (unsigned long long)(v[STAT_RETR_OCTETS] / v[STAT_RETR_MESSAGES]));
	if (v[STAT_LATENCY_COUNT] > 0)
		printf("  %-22s %llu\n", "latency_avg_ms",
		       (unsigned long long)(v[STAT_LATENCY_SUM_MS] / v[STAT_LATENCY_COUNT]));
}

static void print_json(const struct stats_snapshot *s, bool first)
{
	printf("%s  {\"process\": \"%s%02d\", \"program\": \"%s\", \"instance\": %d,"
	       " \"pid\": %d, \"started\": %lld, \"wakeup\": %lld, \"counters\": {",
	       first ? "" : ",\n", s->program, s->instance, s->program, s->instance,
	       (int)s->pid, (long long)s->started, (long long)s->wakeup);
	for (int c = 0; c < STAT_COUNTERS; c++)
		printf("%s\"%s\": %llu", c ? ", " : "", stats_counter_name((enum stats_counter)c),
		       (unsigned long long)s->values[c]);
	printf("}}");
}

static int show_one(const struct stats_snapshot *s, void *ctx)
{
	struct listing *l = ctx;
	if (!name_matches(s, l->name))
		return 0;
	if (l->json)
		print_json(s, l->shown == 0);
	else
		print_text(s);
	l->shown++;
	return 0;
}

static int disp_current(struct oomgr *o, const struct ems_config *cfg, const char *name)
{
	struct listing l = { name, o->json, 0 };
	if (o->json)
		printf("[\n");
	int n = stats_each(config_path(cfg, "run_dir"), show_one, &l);
	if (o->json)
		printf("%s]\n", l.shown ? "\n" : "");
	if (n < 0)
		return oomgr_fail("Cannot read the statistics in %s/stats.",
		                  config_path(cfg, "run_dir"));
	if (name != NULL && l.shown == 0)
		return oomgr_fail("No running process %s keeps statistics (disp process "
		                  "lists the processes).", name);
	if (l.shown == 0 && !o->json)
		printf("No running process keeps statistics.\n");
	return 0;
}

/* ---- history ---- */

struct history {
	struct chart chart;
	bool json;
	int samples;
};

static int history_sample(int64_t taken, uint64_t value, void *ctx)
{
	struct history *h = ctx;
	chart_add(&h->chart, taken, value);
	if (h->json && taken >= h->chart.start)
		printf("%s[%lld, %llu]", h->samples++ ? ", " : "", (long long)taken,
		       (unsigned long long)value);
	return 0;
}

/* "pop3srv01" from "POP3SRV", "pop3srv" or "pop3srv01". */
static void process_key(const char *name, char *out, size_t size)
{
	size_t i = 0, len = strlen(name);
	for (; i < len && i + 1 < size; i++)
		out[i] = (char)tolower((unsigned char)name[i]);
	out[i] = '\0';
	if (len > 0 && !isdigit((unsigned char)name[len - 1]) && i + 3 < size)
		strcat(out, "01");
}

static int disp_history(struct oomgr *o, const struct oomgr_stmt *st, const char *name)
{
	const char *counter = stmt_param(st, "counter");
	const char *period = stmt_param(st, "period");
	char process[STATS_NAME_MAX + 8];
	int64_t seconds = 3600;

	if (counter == NULL)
		counter = DEFAULT_COUNTER;
	int c = stats_counter_find(counter);
	if (c < 0)
		return oomgr_fail("Unknown counter %s: disp stats %s lists them.", counter, name);
	if (period != NULL && strcasecmp(period, "day") == 0)
		seconds = 86400;
	else if (period != NULL && strcasecmp(period, "hour") != 0)
		return oomgr_fail("period= takes hour or day, not %s.", period);
	struct store *store = admin_store(o);
	if (store == NULL)
		return -1;
	process_key(name, process, sizeof process);
	struct history h = { .json = o->json };
	int64_t now = (int64_t)time(NULL);
	chart_init(&h.chart, now, seconds, stats_counter_is_gauge((enum stats_counter)c));
	if (o->json)
		printf("{\"process\": \"%s\", \"counter\": \"%s\", \"samples\": [", process,
		       counter);
	/* From one period earlier: a total needs the sample before the
	 * chart starts to know what the first bucket added. */
	int rc = store_stats_history(store, process, counter, now - 2 * seconds,
	                             history_sample, &h);
	if (o->json)
		printf("]}\n");
	if (rc < 0)
		return oomgr_fail("Cannot read the statistics from the store (see the log).");
	if (!o->json) {
		char title[128];
		snprintf(title, sizeof title, "%s %s, last %s", process, counter,
		         seconds == 86400 ? "day" : "hour");
		chart_print(stdout, &h.chart, title);
	}
	return 0;
}

int oomgr_disp_stats(struct oomgr *o, const struct oomgr_stmt *st)
{
	const char *name = stmt_word(st, 2);
	const struct ems_config *cfg = oomgr_config(o);
	bool history = stmt_word_is(st, 3, "history");

	if (cfg == NULL)
		return -1;
	if ((stmt_word(st, 3) != NULL && !history) || stmt_word(st, 4) != NULL)
		return oomgr_fail("disp stats takes [NAME] or NAME history [counter=C] "
		                  "[period=hour|day].");
	if (name != NULL && strcmp(name, "--json") == 0) {
		o->json = true;
		name = NULL;
	}
	return history ? disp_history(o, st, name) : disp_current(o, cfg, name);
}
