/*
 * store_notify_pg.c - LISTEN/NOTIFY on a libpq connection for the notify
 * relay; see store_notify.h.  Channel names are checked to be lower-case
 * words before they reach SQL, and the payload goes as a parameter of
 * pg_notify(), so no text of a notice is ever spliced into a statement.
 */
#include "store_notify.h"

#include "pq_lib.h"


#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Database channels are the wakeup channels with this prefix. */
#define CHANNEL_PREFIX "ems_"
/* "<node>:<id>": the node, a colon, a 64-bit decimal. */
#define PAYLOAD_MAX (STORE_NOTIFY_NODE_MAX + 24)

struct store_notify {
	PGconn *conn;
	char error[256];
};

/* Keeps MSG's first line as SN's error. */
static void set_error(struct store_notify *sn, const char *msg)
{
	snprintf(sn->error, sizeof sn->error, "%s", msg != NULL ? msg : "");
	sn->error[strcspn(sn->error, "\r\n")] = '\0';
}

/* A channel this module accepts: a lower-case word, short enough. */
static bool channel_ok(const char *channel)
{
	size_t n = strlen(channel);
	if (n == 0 || n + sizeof CHANNEL_PREFIX > STORE_NOTIFY_CHANNEL_MAX)
		return false;
	return strspn(channel, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

struct store_notify *store_notify_connect(const char *conninfo, char *err, size_t errsz)
{
	char timeout[16];
	snprintf(timeout, sizeof timeout, "%d", STORE_NOTIFY_CONNECT_TIMEOUT_S);
	/* connect_timeout first: a value in CONNINFO, expanded after it, wins */
	const char *const keys[] = { "connect_timeout", "dbname", NULL };
	const char *const values[] = { timeout, conninfo, NULL };
	if (pq_lib_load(err, errsz) == NULL)
		return NULL;
	struct store_notify *sn = calloc(1, sizeof *sn);
	if (sn == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	sn->conn = pq_lib->connectdbParams(keys, values, 1);
	if (sn->conn == NULL || pq_lib->status(sn->conn) != CONNECTION_OK) {
		set_error(sn, sn->conn != NULL ? pq_lib->errorMessage(sn->conn) : "out of memory");
		snprintf(err, errsz, "%s", sn->error);
		store_notify_close(sn);
		return NULL;
	}
	return sn;
}

void store_notify_close(struct store_notify *sn)
{
	if (sn == NULL)
		return;
	pq_lib->finish(sn->conn);
	free(sn);
}

bool store_notify_ok(const struct store_notify *sn)
{
	return pq_lib->status(sn->conn) == CONNECTION_OK;
}

const char *store_notify_error(const struct store_notify *sn)
{
	return sn->error;
}

int store_notify_fd(const struct store_notify *sn)
{
	return store_notify_ok(sn) ? pq_lib->socket(sn->conn) : -1;
}

/* Runs a statement prepared by the caller; 0 when the server accepted it. */
static int finish(struct store_notify *sn, PGresult *res)
{
	ExecStatusType st = res != NULL ? pq_lib->resultStatus(res) : PGRES_FATAL_ERROR;
	int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : -1;
	if (rc < 0)
		set_error(sn, pq_lib->errorMessage(sn->conn));
	pq_lib->clear(res);
	return rc;
}

int store_notify_listen(struct store_notify *sn, const char *channel)
{
	char name[STORE_NOTIFY_CHANNEL_MAX], sql[STORE_NOTIFY_CHANNEL_MAX + 16];
	if (!channel_ok(channel)) {
		set_error(sn, "bad channel name");
		return -1;
	}
	/* LISTEN takes no parameters; the name is a checked word */
	snprintf(name, sizeof name, CHANNEL_PREFIX "%s", channel);
	snprintf(sql, sizeof sql, "LISTEN %s", name);
	return finish(sn, pq_lib->exec(sn->conn, sql));
}

/* "SELECT pg_notify($1, $2), pg_notify($1, $3), ..." for N payloads:
 * one statement, so a burst of wake-ups costs one round trip. */
static void notify_sql(char *sql, size_t size, size_t n)
{
	size_t len = (size_t)snprintf(sql, size, "SELECT pg_notify($1, $2)");
	for (size_t i = 1; i < n && len < size; i++)
		len += (size_t)snprintf(sql + len, size - len, ", pg_notify($1, $%zu)", i + 2);
}

int store_notify_send(struct store_notify *sn, const char *channel, const char *node,
                      const int64_t *ids, size_t n)
{
	char name[STORE_NOTIFY_CHANNEL_MAX];
	char payload[STORE_NOTIFY_SEND_MAX][PAYLOAD_MAX];
	const char *params[STORE_NOTIFY_SEND_MAX + 1];
	char sql[32 + STORE_NOTIFY_SEND_MAX * 24];
	if (!channel_ok(channel) || strlen(node) >= STORE_NOTIFY_NODE_MAX || n == 0 ||
	    n > STORE_NOTIFY_SEND_MAX) {
		set_error(sn, "bad channel, node name or count");
		return -1;
	}
	snprintf(name, sizeof name, CHANNEL_PREFIX "%s", channel);
	params[0] = name;
	for (size_t i = 0; i < n; i++) {
		snprintf(payload[i], sizeof payload[i], "%s:%" PRId64, node, ids[i]);
		params[i + 1] = payload[i];
	}
	notify_sql(sql, sizeof sql, n);
	return finish(sn, pq_lib->execParams(sn->conn, sql, (int)n + 1, NULL, params, NULL, NULL, 0));
}

/* Fills OUT from notification N; false when N is not one of ours. */
static bool parse_notice(const PGnotify *n, struct store_notice *out)
{
	const char *colon = strrchr(n->extra, ':');
	size_t plen = sizeof CHANNEL_PREFIX - 1;
	if (strncmp(n->relname, CHANNEL_PREFIX, plen) != 0 || !channel_ok(n->relname + plen) ||
	    colon == NULL || colon == n->extra ||
	    (size_t)(colon - n->extra) >= sizeof out->node)
		return false;
	char *end;
	errno = 0;
	long long id = strtoll(colon + 1, &end, 10);
	if (errno != 0 || end == colon + 1 || *end != '\0')
		return false;
	snprintf(out->channel, sizeof out->channel, "%s", n->relname + plen);
	memcpy(out->node, n->extra, (size_t)(colon - n->extra));
	out->node[colon - n->extra] = '\0';
	out->id = id;
	return true;
}

int store_notify_read(struct store_notify *sn, struct store_notice *out, size_t max)
{
	if (pq_lib->consumeInput(sn->conn) == 0) {
		set_error(sn, pq_lib->errorMessage(sn->conn));
		return -1;
	}
	size_t got = 0;
	PGnotify *n;
	while (got < max && (n = pq_lib->notifies(sn->conn)) != NULL) {
		if (parse_notice(n, &out[got]))
			got++;
		pq_lib->freemem(n);
	}
	return (int)got;
}
