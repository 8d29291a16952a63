/*
 * sieve.c - libFuzzer target: a Sieve script through the compiler
 * (sieve_compile(), as oomgr and postman call it) and, when it compiles,
 * a run against a message.  The input is the script, then optionally a
 * NUL and the message to run it on (else a fixed one).  See mk/fuzz.sh.
 *
 * fuzz-sources:
 */
#include "log.h"
#include "sieve.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char fixed[] =
	"From: A <a@example.test>\r\nTo: b+x@example.test\r\nSubject: =?utf-8?q?hi?=\r\n"
	"X-N: 12\r\nDate: Tue, 1 Jul 2003 10:52:37 +0200\r\n\r\nbody\r\n";

static bool exists(const char *name, void *arg)
{
	(void)arg;
	return strcmp(name, "INBOX") == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nul = memchr(text, '\0', size);
	size_t slen = nul ? (size_t)(nul - text) : size;
	struct sieve_message msg = { .data = fixed, .len = sizeof fixed - 1,
	                             .env_from = "a@example.test", .env_to = "b+x@example.test",
	                             .mailbox_exists = exists, .now = 1700000000,
	                             .local_zone = 3600 };
	struct sieve_error err;
	struct sieve_result r = { 0 };

	log_set_level(LOG_LVL_ERROR);
	if (nul != NULL) {
		msg.data = nul + 1;
		msg.len = size - slen - 1;
	}
	struct sieve_program *p = sieve_compile(text, slen, &err);
	if (p == NULL) {
		if (err.text[0] == '\0' || (err.line < 1 && strcmp(err.text, "out of memory") != 0))
			abort();        /* every compile error says where and why */
		return 0;
	}
	int rc = sieve_run(p, &msg, &r);
	if (r.n == 0 && (rc < 0 || r.error))
		abort();            /* a failed run keeps the message */
	sieve_result_clear(&r);
	sieve_free(p);
	return 0;
}
