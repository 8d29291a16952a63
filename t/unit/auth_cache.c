/* Unit tests for libcommon/auth_cache.c: a verified password is found
 * again under the same person and stored hash, and under nothing else;
 * entries expire after the TTL; the table stays within its size; a size
 * or TTL of 0 means no cache. */
#include "auth_cache.h"
#include "tap.h"

#include <stdio.h>

#define H1 "$y$j9T$salt1$aaaa"
#define H2 "$y$j9T$salt2$bbbb"

static void test_match(void)
{
	struct auth_cache *c = auth_cache_new(100, 60);
	ok(c != NULL, "cache made");
	ok(!auth_cache_hit(c, 1, H1, "pw", 1000), "empty cache: no hit");
	auth_cache_add(c, 1, H1, "pw", 1000);
	ok(auth_cache_hit(c, 1, H1, "pw", 1000), "the remembered password hits");
	ok(!auth_cache_hit(c, 1, H1, "pW", 1000), "another password misses");
	ok(!auth_cache_hit(c, 1, H1, "pw ", 1000), "a longer password misses");
	ok(!auth_cache_hit(c, 2, H1, "pw", 1000), "another person misses");
	ok(!auth_cache_hit(c, 1, H2, "pw", 1000), "a changed stored hash misses");
	ok(auth_cache_hit(c, 1, H1, "pw", 1059), "still trusted just before the TTL");
	ok(!auth_cache_hit(c, 1, H1, "pw", 1060), "not trusted once the TTL is over");
	ok(!auth_cache_hit(c, 1, H1, "pw", 999), "nor from the future (clock set back)");
	auth_cache_free(c);
}

static void test_bounds(void)
{
	struct auth_cache *c = auth_cache_new(8, 3600);
	char pw[32];
	for (int i = 0; i < 200; i++) {
		snprintf(pw, sizeof pw, "pw%d", i);
		auth_cache_add(c, i, H1, pw, 1000 + i);
	}
	int hits = 0;
	for (int i = 0; i < 200; i++) {
		snprintf(pw, sizeof pw, "pw%d", i);
		hits += auth_cache_hit(c, i, H1, pw, 1300);
	}
	ok(hits > 0 && hits <= 8, "200 added to 8 slots: %d still found", hits);
	ok(auth_cache_hit(c, 199, H1, "pw199", 1300), "the newest entry is kept");
	auth_cache_free(c);
	ok(auth_cache_new(0, 3600) == NULL, "size 0: no cache");
	ok(auth_cache_new(100, 0) == NULL, "TTL 0: no cache");
	auth_cache_add(NULL, 1, H1, "pw", 1000);
	ok(!auth_cache_hit(NULL, 1, H1, "pw", 1000), "no cache never hits");
	auth_cache_free(NULL);
}

int main(void)
{
	test_match();
	test_bounds();
	done_testing();
	return exit_status();
}
