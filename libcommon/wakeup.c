/*
 * wakeup.c - mailbox change notifications over unix datagram sockets in
 * <run_dir>/wakeup/; see wakeup.h.
 */
#include "wakeup.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define WAKEUP_DIR WAKEUP_CHANNEL_MAILBOX

struct wakeup_listener {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static int wakeup_addr(struct sockaddr_un *sun, const char *run_dir,
                       const char *channel, const char *file)
{
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	int n = snprintf(sun->sun_path, sizeof sun->sun_path, "%s/%s/%s",
	                 run_dir, channel, file);
	if (n < 0 || (size_t)n >= sizeof sun->sun_path) {
		log_error("wakeup", "error=\"socket path too long\" run_dir=%s",
		          log_quote(run_dir));
		return -1;
	}
	return 0;
}

struct wakeup_listener *wakeup_listen(const char *run_dir, const char *name)
{
	return wakeup_listen_on(run_dir, WAKEUP_DIR, name);
}

struct wakeup_listener *wakeup_listen_on(const char *run_dir, const char *channel,
                                         const char *name)
{
	char dir[PATH_MAX], file[NAME_MAX];
	struct sockaddr_un sun;

	snprintf(dir, sizeof dir, "%s/%s", run_dir, channel);
	if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
		log_error("wakeup", "dir=%s error=%s", log_quote(dir),
		          log_quote(strerror(errno)));
		return NULL;
	}
	snprintf(file, sizeof file, "%s.sock", name);
	if (wakeup_addr(&sun, run_dir, channel, file) < 0)
		return NULL;
	struct wakeup_listener *l = calloc(1, sizeof *l);
	if (l == NULL) {
		log_error("wakeup", "error=\"out of memory\"");
		return NULL;
	}
	l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	unlink(sun.sun_path);
	if (l->fd < 0 || bind(l->fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
		log_error("wakeup", "path=%s error=%s", log_quote(sun.sun_path),
		          log_quote(strerror(errno)));
		if (l->fd >= 0)
			close(l->fd);
		free(l);
		return NULL;
	}
	memcpy(l->path, sun.sun_path, sizeof l->path);
	return l;
}

int wakeup_fd(const struct wakeup_listener *l)
{
	return l->fd;
}

size_t wakeup_read(struct wakeup_listener *l, int64_t *ids, size_t max)
{
	size_t n = 0;
	while (n < max) {
		int64_t id;
		ssize_t r = recv(l->fd, &id, sizeof id, 0);
		if (r < 0)
			break;
		if (r == (ssize_t)sizeof id)
			ids[n++] = id;
	}
	return n;
}

void wakeup_close(struct wakeup_listener *l)
{
	if (l == NULL)
		return;
	close(l->fd);
	unlink(l->path);
	free(l);
}

static int send_one(int fd, const char *run_dir, const char *channel,
                    const char *file, int64_t mailbox_id)
{
	struct sockaddr_un sun;
	if (wakeup_addr(&sun, run_dir, channel, file) < 0)
		return 0;
	if (sendto(fd, &mailbox_id, sizeof mailbox_id, MSG_DONTWAIT,
	           (struct sockaddr *)&sun, sizeof sun) == sizeof mailbox_id)
		return 1;
	if (errno == ECONNREFUSED) {
		/* Nobody reads this socket any more: its process is gone. */
		unlink(sun.sun_path);
	}
	log_debug("wakeup_send", "path=%s error=%s", log_quote(sun.sun_path),
	          log_quote(strerror(errno)));
	return 0;
}

int wakeup_mailbox(const char *run_dir, int64_t mailbox_id)
{
	return wakeup_send(run_dir, WAKEUP_DIR, mailbox_id);
}

int wakeup_send(const char *run_dir, const char *channel, int64_t mailbox_id)
{
	return wakeup_send_except(run_dir, channel, mailbox_id, NULL);
}

/* True when FILE is the socket of listener NAME ("NAME.sock"). */
static bool is_listener(const char *file, const char *name)
{
	size_t n = strlen(name);
	return strncmp(file, name, n) == 0 && strcmp(file + n, ".sock") == 0;
}

int wakeup_send_except(const char *run_dir, const char *channel, int64_t mailbox_id,
                       const char *except)
{
	char dir[PATH_MAX];
	int reached = 0;

	snprintf(dir, sizeof dir, "%s/%s", run_dir, channel);
	DIR *d = opendir(dir);
	if (d == NULL)
		return 0;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("wakeup", "error=%s", log_quote(strerror(errno)));
		closedir(d);
		return 0;
	}
	const struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len > 5 && strcmp(e->d_name + len - 5, ".sock") == 0 &&
		    (except == NULL || !is_listener(e->d_name, except)))
			reached += send_one(fd, run_dir, channel, e->d_name, mailbox_id);
	}
	close(fd);
	closedir(d);
	return reached;
}
