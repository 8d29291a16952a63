/*
 * ctlproto.c - framing of the control messages between oomgr and the
 * guardian; see ctlproto.h.
 */
#include "ctlproto.h"

#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

void ctl_msg_init(struct ctl_msg *m, enum ctl_type type)
{
	m->type = (uint32_t)type;
	m->len = 0;
}

int ctl_msg_add(struct ctl_msg *m, const char *key, const char *fmt, ...)
{
	size_t room = CTL_PAYLOAD_MAX - m->len;
	size_t klen = strlen(key);
	va_list ap;
	int n;

	if (klen == 0 || strchr(key, '=') != NULL) {
		log_error("ctl_bad_key", "key=%s", log_quote(key));
		return -1;
	}
	if (klen + 2 > room)
		goto full;
	memcpy(m->payload + m->len, key, klen);
	m->payload[m->len + klen] = '=';
	va_start(ap, fmt);
	n = vsnprintf(m->payload + m->len + klen + 1, room - klen - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n + klen + 2 > room)
		goto full;
	/* vsnprintf wrote the NUL that ends the field. */
	m->len += (uint32_t)(klen + 1 + (size_t)n + 1);
	return 0;
full:
	log_error("ctl_msg_full", "key=%s max=%d", log_quote(key),
	          CTL_PAYLOAD_MAX);
	return -1;
}

int ctl_msg_next(const struct ctl_msg *m, size_t *pos, const char **key,
                 size_t *keylen, const char **value)
{
	while (*pos < m->len) {
		const char *field = m->payload + *pos;
		size_t flen = strlen(field);
		const char *eq = strchr(field, '=');

		*pos += flen + 1;
		if (eq == NULL)
			continue;
		*key = field;
		*keylen = (size_t)(eq - field);
		*value = eq + 1;
		return 1;
	}
	return 0;
}

const char *ctl_msg_get(const struct ctl_msg *m, const char *key)
{
	size_t pos = 0, klen, want = strlen(key);
	const char *k, *v;

	while (ctl_msg_next(m, &pos, &k, &klen, &v))
		if (klen == want && memcmp(k, key, klen) == 0)
			return v;
	return NULL;
}

size_t ctl_msg_size(const struct ctl_msg *m)
{
	return CTL_HEADER_SIZE + m->len;
}

ssize_t ctl_msg_decode(const void *buf, size_t len, struct ctl_msg *m)
{
	const unsigned char *p = buf;
	uint32_t type, plen;

	if (len < CTL_HEADER_SIZE)
		return 0;
	memcpy(&type, p, 4);
	memcpy(&plen, p + 4, 4);
	if (plen > CTL_PAYLOAD_MAX) {
		log_warn("ctl_frame_too_big", "len=%u max=%d", plen,
		         CTL_PAYLOAD_MAX);
		return -1;
	}
	if (len < CTL_HEADER_SIZE + (size_t)plen)
		return 0;
	if (plen > 0 && p[CTL_HEADER_SIZE + plen - 1] != '\0') {
		log_warn("ctl_frame_malformed", "type=%u len=%u", type, plen);
		return -1;
	}
	m->type = type;
	m->len = plen;
	memcpy(m->payload, p + CTL_HEADER_SIZE, plen);
	return (ssize_t)(CTL_HEADER_SIZE + plen);
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_warn("ctl_write_failed", "error=%s",
			         log_quote(strerror(errno)));
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int ctl_send(int fd, const struct ctl_msg *m)
{
	unsigned char header[CTL_HEADER_SIZE];

	memcpy(header, &m->type, 4);
	memcpy(header + 4, &m->len, 4);
	if (write_all(fd, header, sizeof header) < 0)
		return -1;
	return write_all(fd, m->payload, m->len);
}

/* Reads exactly LEN bytes.  Returns LEN, the short count at EOF, or -1. */
static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_warn("ctl_read_failed", "error=%s",
			         log_quote(strerror(errno)));
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int ctl_recv(int fd, struct ctl_msg *m)
{
	unsigned char frame[CTL_HEADER_SIZE + CTL_PAYLOAD_MAX];
	uint32_t plen;
	ssize_t n = read_full(fd, frame, CTL_HEADER_SIZE);

	if (n == 0)
		return 0;
	if (n != CTL_HEADER_SIZE)
		goto short_frame;
	memcpy(&plen, frame + 4, 4);
	if (plen > CTL_PAYLOAD_MAX) {
		log_warn("ctl_frame_too_big", "len=%u max=%d", plen,
		         CTL_PAYLOAD_MAX);
		return -1;
	}
	n = read_full(fd, frame + CTL_HEADER_SIZE, plen);
	if (n != (ssize_t)plen)
		goto short_frame;
	return ctl_msg_decode(frame, CTL_HEADER_SIZE + plen, m) > 0 ? 1 : -1;
short_frame:
	if (n >= 0)
		log_warn("ctl_frame_short", NULL);
	return -1;
}

int ctl_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof sun.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}
