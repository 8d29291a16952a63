/*
 * store_message.c - single-instance message bodies in the store: stored
 * once by content hash (SHA-256), read whole or streamed in chunks, with
 * their MIME structure; see store_mail.h.  Reference counts are kept by
 * triggers (store_schema.c); entries are in store_entry.c.
 */
#include "store_internal.h"
#include "log.h"
#include "spool.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

/* 0 when found (*ID set), 1 when no message has HASH, -1 on error. */
static int find_by_hash(struct store *st, const unsigned char *hash, int64_t *id)
{
	struct store_stmt *s = store_stmt(st, "SELECT id FROM messages WHERE hash = ?1");
	if (s == NULL)
		return -1;
	store_bind_blob(s, 1, hash, STORE_HASH_LEN);
	int rc = store_step(st, s, "message_put");
	if (rc == STORE_ROW)
		*id = store_col_int64(s, 0);
	store_reset(s);
	if (rc == STORE_ROW)
		return 0;
	return rc == STORE_DONE ? 1 : -1;
}

/* A message nothing references is stored again: restart its grace period
 * so the collector does not take it before the new reference comes. */
static int touch(struct store *st, int64_t id, int64_t now)
{
	struct store_stmt *s = store_stmt(st,
	    "UPDATE messages SET stored = ?2 WHERE id = ?1 AND refcount <= 0");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, id);
	store_bind_int64(s, 2, now);
	return store_exec_stmt(st, s, "message_put");
}

/* A new message's bytes: in memory, or in a spool. */
struct body {
	const void *data;
	size_t len;
	const struct spool *sp;     /* when not NULL, the bytes are here */
};

/* The messages row of a new message (its body goes in message_bodies,
 * so that updates of the row never rewrite the body); *ID gets its id. */
static int insert_row(struct store *st, const unsigned char *hash, int64_t size,
                      int64_t internal_date, const void *structure, size_t structure_len,
                      int64_t now, int64_t *id)
{
	struct store_stmt *s = store_stmt(st,
	    "INSERT INTO messages (hash, size, internal_date, stored, structure)"
	    " VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id");
	if (s == NULL)
		return -1;
	store_bind_blob(s, 1, hash, STORE_HASH_LEN);
	store_bind_int64(s, 2, size);
	store_bind_int64(s, 3, internal_date);
	store_bind_int64(s, 4, now);
	if (structure != NULL)
		store_bind_blob(s, 5, structure, structure_len);
	return store_exec_id(st, s, "message_put", id);
}

/* The row of new message ID's body B. */
static int insert_body(struct store *st, int64_t id, const struct body *b)
{
	if (b->sp != NULL)
		return store_body_write_spool(st, id, b->sp);
	return store_body_write(st, id, b->data, b->len);
}

/* Stores body B with content hash HASH once: a new row, or the one that
 * has those bytes already. */
static int put_once(struct store *st, const unsigned char *hash, const struct body *b,
                    int64_t internal_date, const void *structure, size_t structure_len,
                    int64_t *id_out)
{
	int64_t now = (int64_t)time(NULL), id = 0;
	int64_t size = b->sp != NULL ? (int64_t)spool_size(b->sp) : (int64_t)b->len;
	/* Look-up and insert under one lock: two processes storing the same
	 * bytes at once must end with one row. */
	if (store_tx_begin(st) < 0)
		return -1;
	int found = find_by_hash(st, hash, &id);
	if (found < 0 || (found == 0 && touch(st, id, now) < 0) ||
	    (found == 1 && (insert_row(st, hash, size, internal_date, structure, structure_len,
	                               now, &id) < 0 || insert_body(st, id, b) < 0))) {
		store_tx_rollback(st);
		return -1;
	}
	if (store_tx_commit(st) < 0)
		return -1;
	*id_out = id;
	return 0;
}

int store_message_adopt(struct store *st, struct spool *sp, int64_t internal_date,
                        const void *structure, size_t structure_len, int64_t *id_out)
{
	unsigned char hash[STORE_HASH_LEN];
	struct body b = { .sp = sp };
	if (spool_size(sp) >= INT32_MAX)   /* sqlite3_blob_write counts in int */
		return store_fail_kind(st, STORE_E_INVALID, "message_adopt", "message too big");
	/* a spool that could not be written (disk full): try again later */
	if (spool_hash(sp, hash) < 0)
		return store_fail_kind(st, STORE_E_TRANSIENT, "message_adopt", "spool failed");
	return put_once(st, hash, &b, internal_date, structure, structure_len, id_out);
}

int store_message_put_spooled(struct store *st, struct spool *sp, const void *data,
                              size_t len, int64_t internal_date, const void *structure,
                              size_t structure_len, int64_t *id_out)
{
	unsigned char hash[STORE_HASH_LEN];
	struct body b = { .data = data, .len = len };
	if (spool_size(sp) != (uint64_t)len)
		return store_fail_kind(st, STORE_E_INVALID, "message_put", "not the spool's bytes");
	if (spool_hash(sp, hash) < 0)
		return store_fail_kind(st, STORE_E_TRANSIENT, "message_put", "spool failed");
	return put_once(st, hash, &b, internal_date, structure, structure_len, id_out);
}

int store_message_put(struct store *st, const void *data, size_t len,
                      int64_t internal_date, const void *structure,
                      size_t structure_len, int64_t *id_out)
{
	unsigned char hash[STORE_HASH_LEN];
	unsigned int hlen = 0;
	struct body b = { .data = data, .len = len };
	if (EVP_Digest(len ? data : "", len, hash, &hlen, EVP_sha256(), NULL) != 1 ||
	    hlen != STORE_HASH_LEN)
		return store_fail_kind(st, STORE_E_FAILED, "message_put", "sha256 failed");
	return put_once(st, hash, &b, internal_date, structure, structure_len, id_out);
}

int store_message_info(struct store *st, int64_t message_id, int64_t *size,
                       int64_t *refcount)
{
	struct store_stmt *s = store_stmt(st, "SELECT size, refcount FROM messages WHERE id = ?1");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, message_id);
	if (store_step_row(st, s, "message_info", "no such message") < 0)
		return -1;
	*size = store_col_int64(s, 0);
	*refcount = store_col_int64(s, 1);
	store_reset(s);
	return 0;
}

int store_message_hash(struct store *st, int64_t message_id,
                       unsigned char hash[STORE_HASH_LEN])
{
	struct store_stmt *s = store_stmt(st, "SELECT hash FROM messages WHERE id = ?1");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, message_id);
	if (store_step_row(st, s, "message_hash", "no such message") < 0)
		return -1;
	size_t n;
	const void *p = store_col_blob(s, 0, &n);
	int ok = n == STORE_HASH_LEN;
	if (ok)
		memcpy(hash, p, STORE_HASH_LEN);
	store_reset(s);
	return ok ? 0 : store_fail_kind(st, STORE_E_FAILED, "message_hash", "bad hash");
}

int store_message_find_hash(struct store *st, const unsigned char *prefix, size_t len,
                            int64_t *id_out)
{
	unsigned char lo[STORE_HASH_LEN], hi[STORE_HASH_LEN];
	if (len > STORE_HASH_LEN)
		return store_fail_kind(st, STORE_E_INVALID, "message_find_hash", "prefix too long");
	/* the hashes that start with PREFIX sort between these two */
	memset(lo, 0x00, sizeof lo);
	memset(hi, 0xff, sizeof hi);
	memcpy(lo, prefix, len);
	memcpy(hi, prefix, len);
	struct store_stmt *s = store_stmt(st,
	    "SELECT id FROM messages WHERE hash BETWEEN ?1 AND ?2 ORDER BY hash LIMIT 1");
	if (s == NULL)
		return -1;
	store_bind_blob(s, 1, lo, STORE_HASH_LEN);
	store_bind_blob(s, 2, hi, STORE_HASH_LEN);
	if (store_step_row(st, s, "message_find_hash", "no such message") < 0)
		return -1;
	*id_out = store_col_int64(s, 0);
	store_reset(s);
	return 0;
}

/* The read-ahead never holds more than this. */
#define BODY_WINDOW_MAX (4u << 20)

void store_body_window_free(struct store *st)
{
	free(st->body.buf);
	memset(&st->body, 0, sizeof st->body);
}

/* How much to read at OFFSET of message ID for a request of LEN bytes:
 * LEN for a read that starts a stream or jumps, twice the last window
 * for one that carries on where it ended.  Growing so, a stream of S
 * bytes reaches the backend O(log S + S / BODY_WINDOW_MAX) times. */
static size_t window_want(const struct store *st, int64_t id, size_t offset, size_t len)
{
	size_t want = len;
	if (st->body.id == id && offset != 0 && offset == st->body.off + st->body.len)
		want = 2 * st->body.len;
	if (want > BODY_WINDOW_MAX)
		want = BODY_WINDOW_MAX;
	return want < len ? len : want;
}

/* Fills the read-ahead from message ID's body at OFFSET, up to WANT
 * bytes, through the driver's store_body_read(), which holds nothing
 * open past the call (no read transaction: the other users of the
 * connection see fresh data and WAL checkpoints are not held back). */
static int window_fill(struct store *st, int64_t id, size_t offset, size_t want)
{
	if (want > st->body.cap) {
		char *p = realloc(st->body.buf, want);
		if (p == NULL) {
			store_body_window_free(st);
			return store_fail_kind(st, STORE_E_TRANSIENT, "message_read", "out of memory");
		}
		st->body.buf = p;
		st->body.cap = want;
	}
	ssize_t n = store_body_read(st, id, offset, st->body.buf, want);
	if (n < 0) {
		store_body_window_free(st);
		return -1;
	}
	st->body.id = id;
	st->body.off = offset;
	st->body.len = (size_t)n;
	st->body.at_end = (size_t)n < want;
	return 0;
}

/* A body is read through a window of it that grows while the reads run
 * on from each other: SQLite walks a body's overflow pages from its start
 * to reach an offset, so reading a big body in small chunks, a blob open
 * each, costs time quadratic in its size.  A read at offset 0 always goes
 * to the backend, so a new read never gets bytes held from an earlier one. */
ssize_t store_message_read(struct store *st, int64_t message_id, size_t offset,
                           void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		size_t at = offset + done;
		if (st->body.id != message_id || at == 0 || at < st->body.off ||
		    at >= st->body.off + st->body.len) {
			if (window_fill(st, message_id, at, window_want(st, message_id, at,
			                                                len - done)) < 0)
				return -1;
			if (st->body.len == 0)
				break;   /* at or past the end */
		}
		size_t from = at - st->body.off, k = st->body.len - from;
		if (k > len - done)
			k = len - done;
		memcpy((char *)buf + done, st->body.buf + from, k);
		done += k;
	}
	/* the stream has reached the end of the body: the buffer is not kept
	 * for an idle handle (a body that ends just where a window does is
	 * only known to end at the next read, which drops it then) */
	if (st->body.id == message_id && st->body.at_end &&
	    offset + done >= st->body.off + st->body.len)
		store_body_window_free(st);
	return (ssize_t)done;
}

/* *DATA gets a malloc'ed copy of blob column 0 of S's row, *LEN its size. */
static int copy_blob(struct store *st, struct store_stmt *s, const char *op, void **data,
                     size_t *len)
{
	const void *p = store_col_blob(s, 0, len);
	*data = NULL;
	if (p == NULL || *len == 0) {
		*len = 0;
		return 0;
	}
	*data = malloc(*len);
	if (*data == NULL)
		return store_fail_kind(st, STORE_E_TRANSIENT, op, "out of memory");
	memcpy(*data, p, *len);
	return 0;
}

int store_message_get(struct store *st, int64_t message_id, void **data, size_t *len)
{
	int64_t size = 0, refcount = 0;
	if (store_message_info(st, message_id, &size, &refcount) < 0)
		return -1;
	/* through the body seam, which each backend serves its own way */
	*data = malloc(size > 0 ? (size_t)size : 1);
	if (*data == NULL)
		return store_fail_kind(st, STORE_E_TRANSIENT, "message_get", "out of memory");
	ssize_t n = size > 0 ? store_body_read(st, message_id, 0, *data, (size_t)size) : 0;
	if (n < 0) {
		free(*data);
		*data = NULL;
		return -1;
	}
	*len = (size_t)n;
	return 0;
}

int store_message_structure(struct store *st, int64_t message_id, void **data,
                            size_t *len)
{
	struct store_stmt *s = store_stmt(st, "SELECT structure FROM messages WHERE id = ?1");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, message_id);
	if (store_step_row(st, s, "message_structure", "no such message") < 0)
		return -1;
	int r = copy_blob(st, s, "message_structure", data, len);
	store_reset(s);
	return r;
}

int store_message_set_structure(struct store *st, int64_t message_id,
                                const void *structure, size_t structure_len)
{
	struct store_stmt *s = store_stmt(st, "UPDATE messages SET structure = ?2 WHERE id = ?1");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, message_id);
	if (structure != NULL && structure_len > 0)
		store_bind_blob(s, 2, structure, structure_len);
	return store_exec_changed(st, s, "message_structure", "no such message");
}
