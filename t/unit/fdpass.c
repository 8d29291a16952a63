/* Unit tests for libcommon/fdpass.c: a descriptor and its metadata travel
 * between two real processes intact; records without a descriptor, with
 * too many, or too long are reported and leak nothing. */
#include "fdpass.h"
#include "log.h"
#include "tap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct meta {
	char service[8];
	unsigned flags;
	char peer[32];
};

/* The child: receives a pipe's write end and writes the metadata into it. */
static int child(int sock)
{
	struct meta m;
	int fd;
	ssize_t n = fdpass_recv(sock, &fd, &m, sizeof m);
	if (n != (ssize_t)sizeof m || fd < 0)
		return 1;
	int cloexec = fcntl(fd, F_GETFD) & FD_CLOEXEC;
	char line[128];
	int len = snprintf(line, sizeof line, "%s %u %s %s", m.service, m.flags,
	                   m.peer, cloexec ? "cloexec" : "inheritable");
	return write(fd, line, (size_t)len) == len ? 0 : 1;
}

static int open_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL)
		abort();
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* Sends two descriptors in one record, which fdpass_send never does. */
static void send_two(int sock, int a, int b)
{
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} control;
	int fds[2] = { a, b };
	struct iovec iov = { .iov_base = "two", .iov_len = 3 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
	                      .msg_control = control.buf,
	                      .msg_controllen = sizeof control.buf };
	memset(&control, 0, sizeof control);
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof fds);
	memcpy(CMSG_DATA(cmsg), fds, sizeof fds);
	if (sendmsg(sock, &msg, 0) != 3)
		abort();
}

static void test_between_processes(void)
{
	int sv[2], pipefd[2], status;
	char buf[128] = "";
	struct meta m = { "imap", 64, "127.0.0.1:40000" };

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0 || pipe(pipefd) < 0)
		abort();
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		close(pipefd[0]);
		close(pipefd[1]);   /* it only has the copy that travels */
		_exit(child(sv[1]));
	}
	close(sv[1]);
	is_int(fdpass_send(sv[0], pipefd[1], &m, sizeof m), 0, "send fd + metadata");
	close(pipefd[1]);
	ssize_t n = read(pipefd[0], buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = '\0';
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child received it");
	is_str(buf, "imap 64 127.0.0.1:40000 cloexec",
	       "metadata intact, fd usable in the other process, close-on-exec");
	close(pipefd[0]);
	is_int(fdpass_send(sv[0], -1, "x", 1), -1, "send to an exited peer fails");
	is_int(errno, EPIPE, "as EPIPE, without a SIGPIPE");
	close(sv[0]);
}

static void test_malformed(void)
{
	int sv[2], pipefd[2], fd = 0;
	char buf[64], small[4];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0 || pipe(pipefd) < 0)
		abort();
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	errno = 0;
	is_int(fdpass_recv(sv[1], &fd, buf, sizeof buf), -1, "nothing waiting");
	is_int(errno, EAGAIN, "reported as EAGAIN");

	fdpass_send(sv[0], -1, "hello", 5);
	is_int(fdpass_recv(sv[1], &fd, buf, sizeof buf), 5, "record without fd");
	is_int(fd, -1, "missing descriptor reported as -1");

	int before = open_fds();
	fdpass_send(sv[0], pipefd[0], "a longer record", 15);
	errno = 0;
	is_int(fdpass_recv(sv[1], &fd, small, sizeof small), -1,
	       "record longer than the buffer refused");
	ok(errno == EMSGSIZE && fd == -1, "as EMSGSIZE, no descriptor returned");
	is_int(open_fds(), before, "the descriptor that came with it was closed");

	send_two(sv[0], pipefd[0], pipefd[1]);
	errno = 0;
	is_int(fdpass_recv(sv[1], &fd, buf, sizeof buf), -1,
	       "record with two descriptors refused");
	is_int(open_fds(), before, "both received descriptors were closed");

	is_int(fdpass_send(sv[0], -1, buf, FDPASS_META_MAX + 1), -1,
	       "oversized metadata refused");
	close(sv[0]);
	is_int(fdpass_recv(sv[1], &fd, buf, sizeof buf), 0, "0 at end of stream");
	close(pipefd[0]);
	close(pipefd[1]);
	close(sv[1]);
}

int main(void)
{
	plan(16);
	log_set_level(LOG_LVL_ERROR);   /* the refusals below log warnings */
	test_between_processes();
	test_malformed();
	return exit_status();
}
