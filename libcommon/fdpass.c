/*
 * fdpass.c - descriptor passing over SOCK_SEQPACKET unix sockets with
 * SCM_RIGHTS; see fdpass.h.  Used on the iolistener -> worker hand-off.
 */
#include "fdpass.h"
#include "log.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Room for a few descriptors, so a peer that sends more than one is
 * detected and every one of them closed, not silently truncated. */
#define FDPASS_MAX_RECV_FDS 4

int fdpass_send(int sock, int fd, const void *meta, size_t meta_len)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = (void *)meta, .iov_len = meta_len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (meta_len == 0 || meta_len > FDPASS_META_MAX) {
		log_error("fdpass_send", "error=\"bad metadata length\" len=%zu",
		          meta_len);
		errno = EINVAL;
		return -1;
	}
	if (fd >= 0) {
		memset(&control, 0, sizeof control);
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof control.buf;
		struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	ssize_t n;
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			log_warn("fdpass_send", "sock=%d error=%s", sock,
			         log_quote(strerror(errno)));
		return -1;
	}
	if ((size_t)n != meta_len) {   /* only on a stream socket */
		log_error("fdpass_send", "error=\"partial record\" sock=%d", sock);
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

/* Closes every descriptor the control messages carried. */
static void close_passed(struct msghdr *msg)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
			close(fd);
		}
	}
}

/* Counts the descriptors received; any other control message counts as
 * "too many" so the record is refused. */
static size_t count_passed(struct msghdr *msg)
{
	size_t count = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			return FDPASS_MAX_RECV_FDS + 1;
		count += (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
	}
	return count;
}

ssize_t fdpass_recv(int sock, int *fd_out, void *meta, size_t meta_cap)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * FDPASS_MAX_RECV_FDS)];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = meta, .iov_len = meta_cap };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
	                      .msg_control = control.buf,
	                      .msg_controllen = sizeof control.buf };

	*fd_out = -1;
	ssize_t n;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			log_warn("fdpass_recv", "sock=%d error=%s", sock,
			         log_quote(strerror(errno)));
		return -1;
	}
	size_t count = count_passed(&msg);
	/* n == 0 with a descriptor: an empty record, not end of stream. */
	if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || count > 1 ||
	    (n == 0 && count > 0)) {
		close_passed(&msg);
		log_warn("fdpass_recv", "error=\"truncated record\" sock=%d "
		         "len=%zd fds=%zu", sock, n, count);
		errno = EMSGSIZE;
		return -1;
	}
	if (count == 1)
		memcpy(fd_out, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(int));
	return n;
}
