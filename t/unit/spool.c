/* Unit tests for libcommon/spool.c and the store's adoption of a spool
 * (store_message_adopt): the file never shows in the directory, reads
 * back what was written in any chunking, its hash is the content's
 * SHA-256, its MIME structure is the one parsed in memory (with the
 * mapping given back as the parser goes), the store copies it in byte for
 * byte and finds it again by content; leftovers of dead processes are
 * removed, others kept. */
#include "mime.h"
#include "spool.h"
#include "store.h"
#include "store_test.h"
#include "tap.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

/* Entries of DIR other than "." and "..". */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	if (d == NULL)
		return -1;
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

/* A multipart message of about SIZE bytes (malloc'ed), *LEN its length. */
static char *message(size_t size, size_t *len)
{
	static const char head[] =
	    "From: a@example.test\r\nSubject: spool\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n--zz\r\n"
	    "Content-Type: text/plain\r\n\r\nfirst\r\n--zz\r\n"
	    "Content-Type: application/octet-stream\r\n\r\n";
	static const char line[] = "0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP\r\n";
	char *m = malloc(size + 256);
	size_t n = strlen(head);
	memcpy(m, head, n);
	while (n + sizeof line < size) {
		memcpy(m + n, line, sizeof line - 1);
		n += sizeof line - 1;
	}
	memcpy(m + n, "--zz--\r\n", 8);
	*len = n + 8;
	return m;
}

static void test_prepare(const char *dir)
{
	char path[1024];
	pid_t dead = fork();
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	ok(spool_prepare(dir) == 0, "spool_prepare makes the directory");
	struct stat sb;
	ok(stat(dir, &sb) == 0 && (sb.st_mode & 0777) == 0700, "  mode 0700");
	snprintf(path, sizeof path, "%s/ems.%ld.AAAAAA", dir, (long)dead);
	fclose(fopen(path, "w"));
	snprintf(path, sizeof path, "%s/ems.%ld.BBBBBB", dir, (long)getppid());
	fclose(fopen(path, "w"));
	snprintf(path, sizeof path, "%s/unrelated", dir);
	fclose(fopen(path, "w"));
	ok(spool_prepare(dir) == 0 && entries(dir) == 2,
	   "a dead process's spool file goes, a live one's and other files stay");
	remove(path);
	snprintf(path, sizeof path, "%s/ems.%ld.BBBBBB", dir, (long)getppid());
	remove(path);
}

static void test_spool(const char *dir)
{
	size_t len;
	char *m = message(3 * 1024 * 1024 + 17, &len);
	struct spool *sp = spool_new(dir);
	ok(sp != NULL, "spool_new");
	ok(entries(dir) == 0, "  its file has no name in the directory");
	int failed = 0;
	for (size_t off = 0, step = 1; off < len; off += step, step = step * 3 % 70001 + 1)
		failed |= spool_write(sp, m + off, len - off < step ? len - off : step);
	ok(failed == 0 && spool_size(sp) == len, "written in odd chunks: %zu bytes", len);

	char *back = malloc(len);
	size_t got = 0;
	ssize_t n;
	while (got < len && (n = spool_read(sp, got, back + got, SPOOL_CHUNK)) > 0)
		got += (size_t)n;
	is_mem(back, got, m, len, "  read back the same");
	ok(spool_read(sp, len, back, 10) == 0, "  nothing past the end");
	free(back);

	size_t slen = 0, mlen = 0;
	char *s = spool_structure(sp, &slen);
	char *want = mime_structure(m, len, &mlen);
	ok(s != NULL && want != NULL, "a structure from the spool");
	is_mem(s, slen, want, mlen, "  the same as parsed in memory");
	free(s);
	free(want);

	unsigned char h[SPOOL_HASH_LEN], w[EVP_MAX_MD_SIZE];
	unsigned int wlen = 0;
	EVP_Digest(m, len, w, &wlen, EVP_sha256(), NULL);
	ok(spool_hash(sp, h) == 0, "spool_hash");
	is_mem(h, sizeof h, w, wlen, "  is the SHA-256 of the content");
	ok(spool_write(sp, "x", 1) < 0, "  and no write is taken after it");
	spool_free(sp);
	free(m);
}

static void test_adopt(const char *dir)
{
	size_t len;
	int64_t id = 0, again = 0, put = 0;
	struct store *st = test_store_open("store.db", 2000);
	char *m = message(300 * 1000, &len);
	struct spool *sp = spool_new(dir);
	ok(st != NULL && sp != NULL && spool_write(sp, m, len) == 0, "a store and a spool");
	ok(store_message_adopt(st, sp, 1000, NULL, 0, &id) == 0, "store_message_adopt");
	spool_free(sp);
	void *data = NULL;
	size_t dlen = 0;
	ok(store_message_get(st, id, &data, &dlen) == 0, "  the message is there");
	is_mem(data, dlen, m, len, "  byte for byte");
	free(data);
	sp = spool_new(dir);
	spool_write(sp, m, len);
	ok(store_message_adopt(st, sp, 1000, NULL, 0, &again) == 0 && again == id,
	   "the same bytes adopted again: the same message");
	spool_free(sp);
	ok(store_message_put(st, m, len, 1000, NULL, 0, &put) == 0 && put == id,
	   "  and stored from memory: the same too (one hash for both paths)");
	int64_t spooled = 0;
	sp = spool_new(dir);
	spool_write(sp, m, len);
	ok(store_message_put_spooled(st, sp, m, len, 1000, NULL, 0, &spooled) == 0 &&
	   spooled == id, "  and read back from a spool, with the spool's hash: the same too");
	ok(store_message_put_spooled(st, sp, m, len - 1, 1000, NULL, 0, &spooled) < 0,
	   "  bytes that are not the spool's are refused");
	spool_free(sp);
	sp = spool_new(dir);
	spool_write(sp, "Subject: x\r\n\r\ny\r\n", 17);
	spool_free(sp);
	free(m);
	store_close(st);
}

int main(void)
{
	char dir[512];
	snprintf(dir, sizeof dir, "%s/spool", tap_tmpdir());
	test_prepare(dir);
	test_spool(dir);
	test_adopt(dir);
	ok(entries(dir) == 0, "nothing is left in the spool directory");
	done_testing();
	return exit_status();
}
