/*
 * pop3_xtnd.c - the XTND extension commands of the OpenVMS POP server
 * (the seeds' Table 19-3), for persons with the admin right:
 *
 *   XTND CLIENT text     logs what the client says about itself
 *   XTND LOGLEVEL level  changes this process's log level (the seed's
 *                        INFORMATIONAL, ERROR, THREAD, DEBUG, or ems's
 *                        error, warn, info, debug)
 *   XTND STATS           this process's statistics, in the seed's layout
 *   XTND SHUTDOWN        orderly shutdown: no new clients, exit when the
 *                        last one has gone
 */
#include "pop3_session.h"
#include "log.h"
#include "stats.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>

static void when(time_t t, char *out, size_t len)
{
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%d %H:%M:%S", &tm);
}

static int level_from_word(const char *w)
{
	if (strcasecmp(w, "INFORMATIONAL") == 0)
		return LOG_LVL_INFO;
	if (strcasecmp(w, "THREAD") == 0)
		return LOG_LVL_DEBUG;
	char lower[16];
	size_t i = 0;
	for (; i < sizeof lower - 1 && w[i]; i++)
		lower[i] = (char)(w[i] >= 'A' && w[i] <= 'Z' ? w[i] + 32 : w[i]);
	lower[i] = '\0';
	return log_level_parse(lower);
}

static void xtnd_loglevel(struct pop3_client *c, const char *arg)
{
	int level = arg ? level_from_word(arg) : -1;
	if (level < 0) {
		pop3_client_error(c, "XTND LOGLEVEL wants INFORMATIONAL, ERROR, THREAD or DEBUG");
		return;
	}
	log_set_level((enum log_level)level);
	log_warn("pop3_loglevel", "session=%s user=%s level=%s", c->session,
	         log_quote(c->who.address), log_level_name((enum log_level)level));
	pop3_reply(c, "+OK logging level changed to %s", log_level_name((enum log_level)level));
}

static void stat_line(struct pop3_client *c, const char *name, enum stats_counter k)
{
	pop3_reply(c, "%-20s : %llu", name, (unsigned long long)stats_get(k));
}

static void xtnd_stats(struct pop3_client *c)
{
	char now[32], start[32];
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	             (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	when(time(NULL), now, sizeof now);
	when(c->srv->started, start, sizeof start);
	uint64_t msgs = stats_get(STAT_RETR_MESSAGES), octets = stats_get(STAT_RETR_OCTETS);
	pop3_reply(c, "+OK statistics follow");
	pop3_reply(c, "%-20s : ems pop3srv, %s", "Version Number", c->srv->w.name);
	pop3_reply(c, "%-20s : %s", "Logging Level", log_level_name(log_get_level()));
	pop3_reply(c, "%-20s : %s", "Current Time", now);
	pop3_reply(c, "%-20s : %s", "Start Time", start);
	pop3_reply(c, "%-20s : %.2f (%d mins, %d secs)", "CPU Seconds", cpu, (int)cpu / 60,
	           (int)cpu % 60);
	stat_line(c, "Current Connections", STAT_CONN_CURRENT);
	stat_line(c, "Total Connections", STAT_CONN_TOTAL);
	stat_line(c, "Max Connections", STAT_CONN_MAX);
	stat_line(c, "Too Many Connections", STAT_CONN_TOO_MANY);
	stat_line(c, "Normal Disconnects", STAT_DISC_NORMAL);
	stat_line(c, "Abnormal Disconnects", STAT_DISC_ABNORMAL);
	stat_line(c, "Client Timeouts", STAT_CLIENT_TIMEOUTS);
	stat_line(c, "Retrieved Messages", STAT_RETR_MESSAGES);
	stat_line(c, "Retrieved Octets", STAT_RETR_OCTETS);
	pop3_reply(c, "%-20s : %llu", "Average Octets",
	           (unsigned long long)(msgs ? octets / msgs : 0));
	stat_line(c, "Minimum Octets", STAT_RETR_MIN);
	stat_line(c, "Maximum Octets", STAT_RETR_MAX);
	stat_line(c, "Auth Failures", STAT_AUTH_FAILURES);
	pop3_reply(c, "%-20s :", "Current Users");
	int i = 0;
	for (const struct client_conn *cc = c->srv->w.clients.head; cc != NULL; cc = cc->next) {
		const struct pop3_client *o = cc->client;
		if (o->drop != NULL)
			pop3_reply(c, "%d. %s", i++, o->who.address);
	}
	pop3_reply(c, ".");
}

void pop3_cmd_xtnd(struct pop3_client *c, const struct pop3_cmd *cmd)
{
	const char *sub = cmd->argv[0], *arg = cmd->argc > 1 ? cmd->argv[1] : NULL;
	if (!c->who.admin) {
		log_info("pop3_xtnd_refused", "session=%s user=%s command=%s", c->session,
		         log_quote(c->who.address), log_quote(sub));
		pop3_client_error(c, "XTND needs the admin right");
		return;
	}
	if (strcasecmp(sub, "CLIENT") == 0) {
		log_info("pop3_client_info", "session=%s user=%s client=%s", c->session,
		         log_quote(c->who.address), log_quote(arg ? arg : ""));
		pop3_reply(c, "+OK client information logged");
	} else if (strcasecmp(sub, "LOGLEVEL") == 0) {
		xtnd_loglevel(c, arg);
	} else if (strcasecmp(sub, "STATS") == 0 && arg == NULL) {
		xtnd_stats(c);
	} else if (strcasecmp(sub, "SHUTDOWN") == 0 && arg == NULL) {
		log_warn("pop3_xtnd_shutdown", "session=%s user=%s clients=%u", c->session,
		         log_quote(c->who.address), c->srv->w.clients.n);
		pop3_reply(c, "+OK shutting down when the last client has gone");
		worker_shutdown(&c->srv->w, false);   /* the sessions finish */
	} else {
		pop3_client_error(c, "XTND wants CLIENT, LOGLEVEL, STATS or SHUTDOWN");
	}
}
