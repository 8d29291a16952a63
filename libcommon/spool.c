/*
 * spool.c - files that hold a message while it arrives; see spool.h.
 * Used by imap4srv (APPEND) and smtpgw (LMTP DATA, mailer input); the
 * store copies a spool into the message row (store_message.c).
 */
#include "spool.h"

#include "log.h"
#include "mime.h"

#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#define NAME_PREFIX "ems."

struct spool {
	int fd;
	uint64_t size;
	EVP_MD_CTX *md;     /* NULL once the hash was taken */
	bool failed;
};

/* The pid in a spool file name "ems.<pid>.XXXXXX", or 0. */
static pid_t name_pid(const char *name)
{
	if (strncmp(name, NAME_PREFIX, strlen(NAME_PREFIX)) != 0)
		return 0;
	char *end;
	long v = strtol(name + strlen(NAME_PREFIX), &end, 10);
	return *end == '.' && v > 0 ? (pid_t)v : 0;
}

int spool_prepare(const char *dir)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		log_error("spool", "dir=%s error=\"%s\"", log_quote(dir), strerror(errno));
		return -1;
	}
	DIR *d = opendir(dir);
	if (d == NULL) {
		log_error("spool", "dir=%s error=\"%s\"", log_quote(dir), strerror(errno));
		return -1;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		pid_t pid = name_pid(e->d_name);
		if (pid == 0 || pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			log_info("spool_leftover", "dir=%s file=%s removed=yes", log_quote(dir),
			         e->d_name);
	}
	closedir(d);
	return 0;
}

struct spool *spool_new(const char *dir)
{
	char path[4096];
	struct spool *sp = calloc(1, sizeof *sp);
	int n = snprintf(path, sizeof path, "%s/" NAME_PREFIX "%ld.XXXXXX", dir, (long)getpid());
	if (sp != NULL)
		sp->fd = -1;
	if (sp == NULL || n < 0 || (size_t)n >= sizeof path ||
	    (sp->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(sp->md, EVP_sha256(), NULL) != 1) {
		log_error("spool", "dir=%s error=\"out of memory\"", log_quote(dir));
		spool_free(sp);
		return NULL;
	}
	/* mkstemp creates it 0600; the name goes at once, the fd keeps it */
	sp->fd = mkostemp(path, O_CLOEXEC);
	if (sp->fd < 0) {
		log_error("spool", "dir=%s error=\"%s\"", log_quote(dir), strerror(errno));
		spool_free(sp);
		return NULL;
	}
	unlink(path);
	return sp;
}

int spool_write(struct spool *sp, const void *data, size_t len)
{
	const char *p = data;
	if (sp->failed || sp->md == NULL)
		return -1;
	if (EVP_DigestUpdate(sp->md, data, len) != 1) {
		sp->failed = true;
		log_error("spool", "error=\"sha256 failed\"");
		return -1;
	}
	while (len > 0) {
		ssize_t n = write(sp->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			sp->failed = true;
			log_error("spool", "size=%llu error=\"%s\"", (unsigned long long)sp->size,
			          n < 0 ? strerror(errno) : "short write");
			return -1;
		}
		p += n;
		len -= (size_t)n;
		sp->size += (uint64_t)n;
	}
	return 0;
}

uint64_t spool_size(const struct spool *sp)
{
	return sp->size;
}

int spool_hash(struct spool *sp, unsigned char out[SPOOL_HASH_LEN])
{
	unsigned int hlen = 0;
	if (sp->failed || sp->md == NULL ||
	    EVP_DigestFinal_ex(sp->md, out, &hlen) != 1 || hlen != SPOOL_HASH_LEN) {
		log_error("spool", "error=\"no hash\"");
		return -1;
	}
	EVP_MD_CTX_free(sp->md);
	sp->md = NULL;
	return 0;
}

ssize_t spool_read(const struct spool *sp, uint64_t offset, void *buf, size_t len)
{
	for (;;) {
		ssize_t n = pread(sp->fd, buf, len, (off_t)offset);
		if (n >= 0)
			return n;
		if (errno != EINTR) {
			log_error("spool", "offset=%llu error=\"%s\"", (unsigned long long)offset,
			          strerror(errno));
			return -1;
		}
	}
}

/* Gives back the pages of the mapping the parser has passed: they are
 * file pages, read again from the page cache if the parser comes back. */
static void release(const char *p, size_t len, void *arg)
{
	(void)arg;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t from = ((uintptr_t)p + page - 1) & ~(page - 1);
	uintptr_t to = ((uintptr_t)p + len) & ~(page - 1);
	if (to > from)
		madvise((void *)from, to - from, MADV_DONTNEED);
}

char *spool_structure(const struct spool *sp, size_t *len)
{
	if (sp->failed || sp->size == 0 || sp->size > SIZE_MAX)
		return NULL;
	void *map = mmap(NULL, (size_t)sp->size, PROT_READ, MAP_PRIVATE, sp->fd, 0);
	if (map == MAP_FAILED) {
		log_warn("spool", "size=%llu error=\"%s\"", (unsigned long long)sp->size,
		         strerror(errno));
		return NULL;
	}
	char *out = mime_structure_mapped(map, (size_t)sp->size, release, NULL, len);
	munmap(map, (size_t)sp->size);
	return out;
}

void spool_free(struct spool *sp)
{
	if (sp == NULL)
		return;
	if (sp->fd >= 0)
		close(sp->fd);
	EVP_MD_CTX_free(sp->md);
	free(sp);
}
