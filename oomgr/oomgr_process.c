/*
 * oomgr_process.c - oomgr's process statements (startup, shutdown,
 * refresh, disp process, set process): each becomes one request on the
 * guardian's control socket (ctlproto.h), and the replies are printed.
 */
#include "oomgr.h"

#include "config.h"
#include "ctlproto.h"
#include "oomgr_display.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* How long oomgr waits for a reply; the guardian bounds its own waits
 * (startup, shutdown) well below this. */
#define OOMGR_REPLY_TIMEOUT_S 300

static int socket_path(struct oomgr *o, char *out, size_t size)
{
	const struct ems_config *cfg = oomgr_config(o);
	const char *run_dir = cfg != NULL ? config_path(cfg, "run_dir") : NULL;

	if (run_dir == NULL)
		return -1;
	if ((size_t)snprintf(out, size, "%s/%s", run_dir, CTL_SOCKET_NAME)
	    >= size)
		return oomgr_fail("The run directory %s is too long a path.",
		                  run_dir);
	return 0;
}

/* Connects to the guardian; turns the usual failures into sentences. */
static int connect_guardian(struct oomgr *o)
{
	char path[PATH_MAX];
	struct timeval tv = { OOMGR_REPLY_TIMEOUT_S, 0 };
	int fd;

	if (socket_path(o, path, sizeof path) < 0)
		return -1;
	fd = ctl_connect(path);
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		return fd;
	}
	if (errno == ENOENT || errno == ECONNREFUSED)
		return oomgr_fail("The guardian is not running (nothing listens "
		                  "on %s).\nStart it with: guardian -c %s start",
		                  path, o->config_path);
	if (errno == EACCES || errno == EPERM)
		return oomgr_fail("Permission denied on %s: run oomgr as root or "
		                  "as a member of the group %s.", path,
		                  config_str(oomgr_config(o), "group"));
	return oomgr_fail("Cannot reach the guardian at %s: %s.", path,
	                  strerror(errno));
}

/*
 * Sends REQ and reads the replies: rows go to ROWS (when not NULL), the
 * final sentence is printed (unless QUIET).  Returns 0 for CTL_REP_OK,
 * -1 otherwise.
 */
static int request(struct oomgr *o, const struct ctl_msg *req,
                   struct display_table *rows, bool quiet)
{
	static struct ctl_msg reply;
	int fd = connect_guardian(o), rc = -1;

	if (fd < 0)
		return -1;
	if (ctl_send(fd, req) < 0) {
		oomgr_fail("The guardian did not take the request.");
		goto out;
	}
	for (;;) {
		int r = ctl_recv(fd, &reply);
		const char *text;

		if (r <= 0) {
			oomgr_fail("The guardian closed the connection without an "
			           "answer%s.", r < 0 && errno == EAGAIN
			           ? " in time" : "");
			goto out;
		}
		text = ctl_msg_get(&reply, "text");
		switch (reply.type) {
		case CTL_REP_ROW:
			if (rows != NULL && display_add_row(rows, &reply) < 0)
				goto out;
			continue;
		case CTL_REP_OK:
			if (!quiet && text != NULL && *text != '\0')
				printf("%s\n", text);
			rc = 0;
			goto out;
		case CTL_REP_ERROR:
			oomgr_fail("%s", text != NULL ? text : "The guardian refused.");
			goto out;
		default:
			oomgr_fail("The guardian answered with an unknown message "
			           "(type %u).", reply.type);
			goto out;
		}
	}
out:
	close(fd);
	return rc;
}

/* Reads "all" | NAME [INSTANCE] from words FIRST... of ST into REQ. */
static int target(const struct oomgr_stmt *st, size_t first,
                  struct ctl_msg *req, bool instance_allowed)
{
	const char *name = stmt_word(st, first);
	const char *inst = stmt_word(st, first + 1);
	char *end;
	long n = 0;

	if (name == NULL)
		return oomgr_fail("%s needs a process name or all.",
		                  stmt_word(st, 0));
	if (inst != NULL) {
		n = strtol(inst, &end, 10);
		if (!instance_allowed || *end != '\0' || n < 1 || n > 9999 ||
		    stmt_word(st, first + 2) != NULL)
			return oomgr_fail("After %s %s only an instance number "
			                  "may follow.", stmt_word(st, 0), name);
	}
	if (ctl_msg_add(req, "name", "%s", name) < 0 ||
	    (n > 0 && ctl_msg_add(req, "instance", "%ld", n) < 0))
		return oomgr_fail("The process name is too long.");
	return 0;
}

static int simple_request(struct oomgr *o, const struct oomgr_stmt *st,
                          enum ctl_type type, bool instance_allowed)
{
	static struct ctl_msg req;

	ctl_msg_init(&req, type);
	if (st->nparams > 0)
		return oomgr_fail("%s takes no parameters.", stmt_word(st, 0));
	if (target(st, 1, &req, instance_allowed) < 0)
		return -1;
	return request(o, &req, NULL, false);
}

int oomgr_startup(struct oomgr *o, const struct oomgr_stmt *st)
{
	return simple_request(o, st, CTL_REQ_STARTUP, true);
}

int oomgr_shutdown(struct oomgr *o, const struct oomgr_stmt *st)
{
	return simple_request(o, st, CTL_REQ_SHUTDOWN, true);
}

int oomgr_refresh(struct oomgr *o, const struct oomgr_stmt *st)
{
	return simple_request(o, st, CTL_REQ_REFRESH, false);
}

int oomgr_disp_process(struct oomgr *o, const struct oomgr_stmt *st)
{
	static struct ctl_msg req;
	bool json = o->json;
	struct display_table *rows;
	int rc;

	for (size_t i = 2; i < st->nwords; i++) {
		if (!stmt_word_is(st, i, "--json") && !stmt_word_is(st, i, "json"))
			return oomgr_fail("disp process takes only --json.");
		json = true;
	}
	rows = display_new();
	if (rows == NULL)
		return oomgr_fail("Out of memory.");
	ctl_msg_init(&req, CTL_REQ_DISP);
	rc = request(o, &req, rows, true);
	if (rc == 0 && json)
		display_print_json(stdout, rows);
	else if (rc == 0)
		display_print_table(stdout, rows);
	display_free(rows);
	return rc;
}

/* set process NAME [INSTANCE] param=value ...: one request per
 * parameter, so each is checked and stored on its own. */
int oomgr_set_process(struct oomgr *o, const struct oomgr_stmt *st)
{
	static struct ctl_msg req;

	if (st->nparams == 0)
		return oomgr_fail("set process needs param=value (flags, confm, "
		                  "maxclt, pool, loglevel, autostart, instances).");
	for (size_t i = 0; i < st->nparams; i++) {
		ctl_msg_init(&req, CTL_REQ_SET);
		if (target(st, 2, &req, true) < 0)
			return -1;
		if (ctl_msg_add(&req, "param", "%s", st->params[i].key) < 0 ||
		    ctl_msg_add(&req, "value", "%s", st->params[i].value) < 0)
			return oomgr_fail("The value of %s is too long.",
			                  st->params[i].key);
		if (request(o, &req, NULL, false) < 0)
			return -1;
	}
	return 0;
}
