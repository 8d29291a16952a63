/*
 * auth_cache.c - verified passwords remembered as keyed hashes; see
 * auth_cache.h.  A set-associative table: the first bytes of an entry's
 * HMAC pick its group of AUTH_CACHE_WAYS slots, so a look-up or an
 * insertion touches AUTH_CACHE_WAYS slots and never allocates.
 */
#include "auth_cache.h"
#include "log.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define KEY_LEN 32
#define TAG_LEN 32

struct slot {
	unsigned char tag[TAG_LEN];
	int64_t added;          /* 0: empty */
};

struct auth_cache {
	pthread_mutex_t mu;
	EVP_MAC *mac;
	unsigned char key[KEY_LEN];
	int64_t ttl_s;
	size_t groups;
	struct slot *slots;     /* groups * AUTH_CACHE_WAYS */
};

struct auth_cache *auth_cache_new(unsigned size, int64_t ttl_s)
{
	if (size == 0 || ttl_s <= 0)
		return NULL;
	struct auth_cache *c = calloc(1, sizeof *c);
	if (c == NULL) {
		log_error("auth_cache", "error=\"out of memory\"");
		return NULL;
	}
	pthread_mutex_init(&c->mu, NULL);
	c->groups = (size + AUTH_CACHE_WAYS - 1) / AUTH_CACHE_WAYS;
	c->slots = calloc(c->groups * AUTH_CACHE_WAYS, sizeof *c->slots);
	c->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (c->slots == NULL || c->mac == NULL || RAND_bytes(c->key, KEY_LEN) != 1) {
		log_error("auth_cache", "error=\"cannot make the cache or its key\"");
		auth_cache_free(c);
		return NULL;
	}
	c->ttl_s = ttl_s;
	log_info("auth_cache", "entries=%zu ttl_s=%lld", c->groups * AUTH_CACHE_WAYS,
	         (long long)ttl_s);
	return c;
}

void auth_cache_free(struct auth_cache *c)
{
	if (c == NULL)
		return;
	pthread_mutex_destroy(&c->mu);
	EVP_MAC_free(c->mac);
	OPENSSL_cleanse(c->key, sizeof c->key);
	free(c->slots);
	free(c);
}

/* TAG = HMAC-SHA-256(key, id ‖ hash ‖ NUL ‖ password); false on an
 * OpenSSL failure (then nothing is cached or found). */
static bool make_tag(struct auth_cache *c, int64_t person_id, const char *hash,
                     const char *password, unsigned char tag[TAG_LEN])
{
	char digest[] = "SHA256";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
		OSSL_PARAM_construct_end(),
	};
	unsigned char id[8];
	for (int i = 0; i < 8; i++)
		id[i] = (unsigned char)((uint64_t)person_id >> (8 * i));
	size_t len = 0;
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(c->mac);
	bool ok = ctx != NULL && EVP_MAC_init(ctx, c->key, KEY_LEN, params) == 1 &&
	          EVP_MAC_update(ctx, id, sizeof id) == 1 &&
	          EVP_MAC_update(ctx, (const unsigned char *)hash, strlen(hash) + 1) == 1 &&
	          EVP_MAC_update(ctx, (const unsigned char *)password, strlen(password)) == 1 &&
	          EVP_MAC_final(ctx, tag, &len, TAG_LEN) == 1 && len == TAG_LEN;
	EVP_MAC_CTX_free(ctx);
	return ok;
}

static struct slot *group_of(struct auth_cache *c, const unsigned char tag[TAG_LEN])
{
	uint64_t h = 0;
	for (int i = 0; i < 8; i++)
		h = h << 8 | tag[i];
	return &c->slots[(h % c->groups) * AUTH_CACHE_WAYS];
}

static bool fresh(const struct auth_cache *c, const struct slot *s, int64_t now)
{
	return s->added != 0 && now - s->added < c->ttl_s && now >= s->added;
}

bool auth_cache_hit(struct auth_cache *c, int64_t person_id, const char *stored_hash,
                    const char *password, int64_t now)
{
	unsigned char tag[TAG_LEN];
	if (c == NULL || !make_tag(c, person_id, stored_hash, password, tag))
		return false;
	bool hit = false;
	pthread_mutex_lock(&c->mu);
	struct slot *g = group_of(c, tag);
	for (int i = 0; i < AUTH_CACHE_WAYS && !hit; i++)
		hit = fresh(c, &g[i], now) && CRYPTO_memcmp(g[i].tag, tag, TAG_LEN) == 0;
	pthread_mutex_unlock(&c->mu);
	return hit;
}

void auth_cache_add(struct auth_cache *c, int64_t person_id, const char *stored_hash,
                    const char *password, int64_t now)
{
	unsigned char tag[TAG_LEN];
	if (c == NULL || !make_tag(c, person_id, stored_hash, password, tag))
		return;
	pthread_mutex_lock(&c->mu);
	struct slot *g = group_of(c, tag), *use = &g[0];
	for (int i = 0; i < AUTH_CACHE_WAYS; i++) {
		if (!fresh(c, &g[i], now) || memcmp(g[i].tag, tag, TAG_LEN) == 0) {
			use = &g[i];
			break;
		}
		if (g[i].added < use->added)
			use = &g[i];
	}
	memcpy(use->tag, tag, TAG_LEN);
	use->added = now;
	pthread_mutex_unlock(&c->mu);
}
