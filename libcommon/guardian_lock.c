/*
 * guardian_lock.c - the guardian's lock file; see guardian_lock.h.
 */
#include "guardian_lock.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct flock whole_file(short type)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET };

	return fl;
}

int lock_acquire(const char *path, pid_t *holder)
{
	struct flock fl = whole_file(F_WRLCK);
	char pid[32];
	int fd, n;

	*holder = 0;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		log_error("lock_open_failed", "path=%s error=%s", log_quote(path),
		          log_quote(strerror(errno)));
		return -1;
	}
	if (fcntl(fd, F_SETLK, &fl) < 0) {
		int err = errno;
		close(fd);
		if (err == EAGAIN || err == EACCES) {
			*holder = lock_holder(path);
		} else {
			log_error("lock_failed", "path=%s error=%s", log_quote(path),
			          log_quote(strerror(err)));
		}
		return -1;
	}
	n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		log_error("lock_write_failed", "path=%s error=%s", log_quote(path),
		          log_quote(strerror(errno)));
		close(fd);
		return -1;
	}
	return fd;
}

pid_t lock_holder(const char *path)
{
	struct flock fl = whole_file(F_WRLCK);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		log_error("lock_open_failed", "path=%s error=%s", log_quote(path),
		          log_quote(strerror(errno)));
		return -1;
	}
	/* F_GETLK wants a lock type the fd could take; a read-only fd can
	 * only ask about a read lock, which any write lock conflicts with. */
	fl.l_type = F_RDLCK;
	if (fcntl(fd, F_GETLK, &fl) < 0) {
		log_error("lock_query_failed", "path=%s error=%s", log_quote(path),
		          log_quote(strerror(errno)));
		close(fd);
		return -1;
	}
	close(fd);
	return fl.l_type == F_UNLCK ? 0 : fl.l_pid;
}
