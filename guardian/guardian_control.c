/*
 * guardian_control.c - the guardian's end of the control socket: accepts
 * oomgr's connections, reads one typed request each (ctlproto.h),
 * handles it in one switch, and answers, at once or when the processes
 * it concerns have settled.  A peer that sends an unknown message type or
 * a malformed frame is logged and dropped.
 */
#include "guardian_control.h"

#include "ctlproto.h"
#include "evloop.h"
#include "guardian.h"
#include "guardian_chan.h"
#include "guardian_heartbeat.h"
#include "guardian_procs.h"
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define CONTROL_BACKLOG      16
#define CONTROL_CLIENTS_MAX  32     /* connections at once; more wait */
#define CONTROL_WAIT_MAX_MS  240000 /* longest wait for processes to settle */
#define CONTROL_SEND_TIMEOUT_S 2    /* a client that does not read is dropped */

struct client {
	int fd;
	struct ev_io *io;
	unsigned char buf[CTL_HEADER_SIZE + CTL_PAYLOAD_MAX];
	size_t len;
	bool answered_later;            /* waiting for processes to settle */
	bool want_up;
	char name[REGISTRY_NAME_MAX];
	int instance;
	long long deadline;
	const char *done_text;          /* sentence when all went well */
};

static struct {
	int fd;
	struct ev_io *io;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct client *clients[CONTROL_CLIENTS_MAX];
	bool accepting;
} ctl = { .fd = -1 };

static void on_listen(struct ev_io *io, unsigned events, void *arg);
static void on_client(struct ev_io *io, unsigned events, void *arg);

/* Connections. */

static size_t client_count(void)
{
	size_t n = 0;

	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++)
		n += ctl.clients[i] != NULL;
	return n;
}

/* Stops accepting while the table is full, resumes when there is room:
 * running out of client slots pauses, never crashes. */
static void update_accepting(void)
{
	bool room = client_count() < CONTROL_CLIENTS_MAX;

	if (ctl.io == NULL || room == ctl.accepting)
		return;
	if (evloop_io_set_events(ctl.io, room ? EV_READ : 0) == 0)
		ctl.accepting = room;
}

static void drop_client(struct client *c)
{
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++)
		if (ctl.clients[i] == c)
			ctl.clients[i] = NULL;
	evloop_del_io(c->io);
	close(c->fd);
	free(c);
	update_accepting();
}

static void on_listen(struct ev_io *io, unsigned events, void *arg)
{
	struct client *c;
	size_t slot;
	int cfd;

	(void)io;
	(void)events;
	(void)arg;
	cfd = accept4(ctl.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("control_accept_failed", "error=%s",
			         log_quote(strerror(errno)));
		return;
	}
	for (slot = 0; slot < CONTROL_CLIENTS_MAX && ctl.clients[slot]; slot++)
		;
	c = slot < CONTROL_CLIENTS_MAX ? calloc(1, sizeof *c) : NULL;
	if (c == NULL) {
		log_warn("control_client_refused", "reason=%s",
		         slot < CONTROL_CLIENTS_MAX ? "out_of_memory" : "full");
		close(cfd);
		return;
	}
	c->fd = cfd;
	ctl.clients[slot] = c;
	c->io = evloop_add_io(guardian_loop(), cfd, EV_READ, on_client, c);
	if (c->io == NULL) {
		drop_client(c);
		return;
	}
	update_accepting();
}

/* Replies. */

/* Replies go out blocking, with a short timeout: they are small, and a
 * client that does not read them is not worth waiting for. */
static int reply(struct client *c, const struct ctl_msg *m)
{
	struct timeval tv = { CONTROL_SEND_TIMEOUT_S, 0 };
	int flags = fcntl(c->fd, F_GETFL);

	if (flags >= 0 && (flags & O_NONBLOCK))
		fcntl(c->fd, F_SETFL, flags & ~O_NONBLOCK);
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	return ctl_send(c->fd, m);
}

/* Sends the final sentence (OK or ERROR) and closes the connection. */
static void finish(struct client *c, bool good, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void finish(struct client *c, bool good, const char *fmt, ...)
{
	static struct ctl_msg m;
	char text[CTL_PAYLOAD_MAX / 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	ctl_msg_init(&m, good ? CTL_REP_OK : CTL_REP_ERROR);
	if (ctl_msg_add(&m, "text", "%s", text) == 0)
		reply(c, &m);
	drop_client(c);
}

/* When IN is next started by the guardian itself, as unix time (0: not
 * scheduled); rounded up, so it is never shown in the past. */
static long long next_attempt_wall(const struct instance *in, long long now)
{
	long long at = procs_next_start(in);

	if (at < 0)
		return 0;
	return (long long)time(NULL) + (at > now ? (at - now + 999) / 1000 : 0);
}

static int send_row(struct client *c, const struct instance *in,
                    long long now)
{
	static struct ctl_msg m;
	bool up = in->pid != 0;

	ctl_msg_init(&m, CTL_REP_ROW);
	if (ctl_msg_add(&m, "name", "%s", in->name) < 0 ||
	    ctl_msg_add(&m, "instance", "%d", in->number) < 0 ||
	    ctl_msg_add(&m, "program", "%s", in->program) < 0 ||
	    ctl_msg_add(&m, "state", "%s", procs_state_name(in->state)) < 0 ||
	    ctl_msg_add(&m, "pid", "%d", (int)in->pid) < 0 ||
	    ctl_msg_add(&m, "restarts", "%u", in->restarts) < 0 ||
	    ctl_msg_add(&m, "started", "%lld",
	                in->started_ms ? (long long)in->started_wall : 0) < 0 ||
	    ctl_msg_add(&m, "wakeup", "%lld", (long long)heartbeat_wakeup(in->pid)) < 0 ||
	    ctl_msg_add(&m, "uptime_s", "%lld",
	                up ? (now - in->started_ms) / 1000 : 0) < 0 ||
	    ctl_msg_add(&m, "flags", "%ld", in->spec.flags) < 0 ||
	    ctl_msg_add(&m, "maxclt", "%ld", in->spec.maxclt) < 0 ||
	    ctl_msg_add(&m, "confm", "%s", in->spec.confm) < 0 ||
	    ctl_msg_add(&m, "loglevel", "%s", in->spec.loglevel) < 0 ||
	    ctl_msg_add(&m, "autostart", "%d", in->spec.autostart) < 0 ||
	    ctl_msg_add(&m, "last_exit", "%s", in->last_exit) < 0 ||
	    ctl_msg_add(&m, "exits", "%u", in->history.exit_count) < 0 ||
	    ctl_msg_add(&m, "next_attempt", "%lld", next_attempt_wall(in, now)) < 0)
		return -1;
	return reply(c, &m);
}

/* Requests. */

/* Reads name= and instance= of REQ.  Returns 0 or -1 after answering. */
static int target_of(struct client *c, const struct ctl_msg *req,
                     const char **name, int *instance)
{
	const char *inst = ctl_msg_get(req, "instance");
	char *end;
	long n = 0;

	*name = ctl_msg_get(req, "name");
	if (inst != NULL) {
		n = strtol(inst, &end, 10);
		if (*end != '\0' || n < 1 || n > REGISTRY_INSTANCES_MAX) {
			finish(c, false, "Instance %s is not a number from 1 to %d.",
			       inst, REGISTRY_INSTANCES_MAX);
			return -1;
		}
	}
	if (*name == NULL || **name == '\0') {
		finish(c, false, "Which process? Give a name or all.");
		return -1;
	}
	*instance = (int)n;
	return 0;
}

static bool known_process(const char *name)
{
	const struct instance *in;

	if (strcasecmp(name, "all") == 0)
		return true;
	for (size_t i = 0; (in = procs_at(i)) != NULL; i++)
		if (strcasecmp(in->name, name) == 0)
			return true;
	return false;
}

static void unknown_target(struct client *c, const char *name, int instance)
{
	if (!known_process(name))
		finish(c, false, "Unknown process %s: disp process lists the "
		       "registered ones.", name);
	else
		finish(c, false, "%s has no instance %d.", name, instance);
}

/* The reply waits until NAME/INSTANCE have settled. */
static void wait_settled(struct client *c, const char *name, int instance,
                         bool want_up, const char *done_text)
{
	c->answered_later = true;
	snprintf(c->name, sizeof c->name, "%s", name);
	c->instance = instance;
	c->want_up = want_up;
	c->done_text = done_text;
	c->deadline = guardian_now() + CONTROL_WAIT_MAX_MS;
	evloop_io_set_events(c->io, 0);        /* nothing more to read */
	guardian_changed();
}

static void handle_start_stop(struct client *c, const struct ctl_msg *req,
                              bool up)
{
	const char *name;
	int instance, matched;
	long long now = guardian_now();

	if (target_of(c, req, &name, &instance) < 0)
		return;
	if (up && guardian_is_stopping()) {
		finish(c, false, "The guardian is stopping; it starts nothing.");
		return;
	}
	log_info(up ? "control_startup" : "control_shutdown",
	         "name=%s instance=%d", log_quote(name), instance);
	if (up)     /* a running one does its periodic work now */
		chan_request_run(name, instance);
	matched = up ? procs_startup(name, instance, now)
	             : procs_shutdown(name, instance, now);
	if (matched == 0 && strcasecmp(name, "all") != 0) {
		unknown_target(c, name, instance);
		return;
	}
	wait_settled(c, name, instance, up, up ? "Started successfully."
	                                       : "Shut down successfully.");
}

static void handle_refresh(struct client *c, const struct ctl_msg *req)
{
	const char *name;
	int instance;
	char err[512];

	if (target_of(c, req, &name, &instance) < 0)
		return;
	log_info("control_refresh", "name=%s", log_quote(name));
	if (guardian_refresh(name, err, sizeof err) < 0) {
		finish(c, false, "%s", err);
		return;
	}
	wait_settled(c, name, 0, true, "Refreshed successfully.");
}

static void handle_disp(struct client *c)
{
	const struct instance *in;
	long long now = guardian_now();

	for (size_t i = 0; (in = procs_at(i)) != NULL; i++)
		if (send_row(c, in, now) < 0) {
			drop_client(c);
			return;
		}
	finish(c, true, "%s", "");
}

static void handle_set(struct client *c, const struct ctl_msg *req)
{
	const char *name, *param = ctl_msg_get(req, "param");
	const char *value = ctl_msg_get(req, "value");
	int instance;
	char err[512];

	if (target_of(c, req, &name, &instance) < 0)
		return;
	if (param == NULL || value == NULL) {
		finish(c, false, "set process needs param=value.");
		return;
	}
	if (guardian_set(name, instance, param, value, err, sizeof err) < 0) {
		finish(c, false, "%s", err);
		return;
	}
	finish(c, true, "Set %s=%s for %s%s%.0d; refresh %s applies it.",
	       param, value, name, instance ? " " : "", instance, name);
}

/* Every request type is handled here; anything else drops the peer. */
static void dispatch(struct client *c, const struct ctl_msg *req)
{
	switch (req->type) {
	case CTL_REQ_STARTUP:
		handle_start_stop(c, req, true);
		break;
	case CTL_REQ_SHUTDOWN:
		handle_start_stop(c, req, false);
		break;
	case CTL_REQ_REFRESH:
		handle_refresh(c, req);
		break;
	case CTL_REQ_DISP:
		handle_disp(c);
		break;
	case CTL_REQ_SET:
		handle_set(c, req);
		break;
	case CTL_REQ_STOP:
		log_info("control_stop", NULL);
		finish(c, true, "Stopping the suite.");
		guardian_request_stop();
		break;
	default:
		log_warn("control_unknown_message", "type=%u", req->type);
		drop_client(c);
		break;
	}
}

static void on_client(struct ev_io *io, unsigned events, void *arg)
{
	static struct ctl_msg req;
	struct client *c = arg;
	ssize_t n;

	(void)io;
	(void)events;
	n = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		drop_client(c);
		return;
	}
	c->len += (size_t)n;
	n = ctl_msg_decode(c->buf, c->len, &req);
	if (n < 0)
		drop_client(c);
	else if (n > 0)
		dispatch(c, &req);
}

/* Waiting clients. */

void control_check_waiters(long long now)
{
	char why[CTL_PAYLOAD_MAX / 4];

	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++) {
		struct client *c = ctl.clients[i];
		int r;

		if (c == NULL || !c->answered_later)
			continue;
		r = procs_settled(c->name, c->instance, c->want_up, now, why,
		                  sizeof why);
		if (r > 0)
			finish(c, true, "%s", c->done_text);
		else if (r < 0)
			finish(c, false, "Could not start: %s. Its log says why; "
			       "startup %s tries again.", why, c->name);
		else if (now >= c->deadline)
			finish(c, false, "%s %s not %s after %d s.", c->name,
			       c->instance ? "instance" : "is",
			       c->want_up ? "up" : "down",
			       CONTROL_WAIT_MAX_MS / 1000);
	}
}

long long control_next_deadline(void)
{
	long long next = -1;

	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++) {
		const struct client *c = ctl.clients[i];
		if (c != NULL && c->answered_later &&
		    (next < 0 || c->deadline < next))
			next = c->deadline;
	}
	return next;
}

/* The socket. */

static int bind_socket(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof sun.sun_path) {
		log_error("control_path_too_long", "path=%s", log_quote(path));
		return -1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	unlink(path);   /* stale after a kill -9; the lock file says we own it */
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) < 0 ||
	    listen(fd, CONTROL_BACKLOG) < 0)
		goto fail;
	return fd;
fail:
	log_error("control_socket_failed", "path=%s error=%s", log_quote(path),
	          log_quote(strerror(errno)));
	if (fd >= 0)
		close(fd);
	return -1;
}

int control_open(const char *run_dir, bool set_group, gid_t gid)
{
	if ((size_t)snprintf(ctl.path, sizeof ctl.path, "%s/%s", run_dir,
	                     CTL_SOCKET_NAME) >= sizeof ctl.path) {
		log_error("control_path_too_long", "run_dir=%s",
		          log_quote(run_dir));
		return -1;
	}
	ctl.fd = bind_socket(ctl.path);
	if (ctl.fd < 0)
		return -1;
	if (chmod(ctl.path, 0660) < 0 ||
	    (set_group && chown(ctl.path, (uid_t)-1, gid) < 0)) {
		log_error("control_socket_mode_failed", "path=%s error=%s",
		          log_quote(ctl.path), log_quote(strerror(errno)));
		control_close();
		return -1;
	}
	ctl.io = evloop_add_io(guardian_loop(), ctl.fd, EV_READ, on_listen, NULL);
	if (ctl.io == NULL) {
		control_close();
		return -1;
	}
	ctl.accepting = true;
	log_info("control_listening", "path=%s", log_quote(ctl.path));
	return 0;
}

void control_close(void)
{
	if (ctl.fd >= 0) {
		evloop_del_io(ctl.io);
		ctl.io = NULL;
		close(ctl.fd);
		unlink(ctl.path);
		ctl.fd = -1;
		ctl.accepting = false;
	}
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++)
		if (ctl.clients[i] != NULL)
			finish(ctl.clients[i], false, "The guardian is stopping.");
}
