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
	sqlite3_stmt *s = store_stmt(st, "SELECT id FROM messages WHERE hash = ?1");
	if (s == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, hash, STORE_HASH_LEN, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : store_fail(st, "message_put", rc);
}

/* A message nothing references is stored again: restart its grace period
 * so the collector does not take it before the new reference comes. */
static int touch(struct store *st, int64_t id, int64_t now)
{
	sqlite3_stmt *s = store_stmt(st,
	    "UPDATE messages SET stored = ?2 WHERE id = ?1 AND refcount <= 0");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
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
	sqlite3_stmt *s = store_stmt(st,
	    "INSERT INTO messages (hash, size, internal_date, stored, structure)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)");
	if (s == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, hash, STORE_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, size);
	sqlite3_bind_int64(s, 3, internal_date);
	sqlite3_bind_int64(s, 4, now);
	if (structure != NULL)
		sqlite3_bind_blob64(s, 5, structure, structure_len, SQLITE_STATIC);
	if (store_exec_stmt(st, s, "message_put") < 0)
		return -1;
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

/* Copies spool SP into the body of the new row ID (inserted with a
 * zeroblob of its size) a chunk at a time: the message never sits whole
 * in memory. */
static int copy_spool(struct store *st, int64_t id, const struct spool *sp)
{
	char buf[SPOOL_CHUNK];
	sqlite3_blob *blob = NULL;
	int rc = sqlite3_blob_open(st->db, "main", "message_bodies", "body", id, 1, &blob);
	uint64_t off = 0, size = spool_size(sp);
	while (rc == SQLITE_OK && off < size) {
		ssize_t n = spool_read(sp, off, buf, size - off < sizeof buf ? (size_t)(size - off)
		                                                           : sizeof buf);
		if (n <= 0) {
			sqlite3_blob_close(blob);
			return store_fail_kind(st, STORE_E_TRANSIENT, "message_put",
			                       "spool file unreadable");
		}
		rc = sqlite3_blob_write(blob, buf, (int)n, (int)off);
		off += (uint64_t)n;
	}
	int crc = sqlite3_blob_close(blob);
	if (rc == SQLITE_OK)
		rc = crc;
	return rc == SQLITE_OK ? 0 : store_fail(st, "message_put", rc);
}

/* The row of new message ID's body B. */
static int insert_body(struct store *st, int64_t id, const struct body *b)
{
	sqlite3_stmt *s = store_stmt(st, b->sp != NULL
	    ? "INSERT INTO message_bodies (id, body) VALUES (?1, zeroblob(?2))"
	    : "INSERT INTO message_bodies (id, body) VALUES (?1, ?2)");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if (b->sp != NULL)
		sqlite3_bind_int64(s, 2, (int64_t)spool_size(b->sp));
	else
		sqlite3_bind_blob64(s, 2, b->len ? b->data : "", b->len, SQLITE_STATIC);
	if (store_exec_stmt(st, s, "message_put") < 0)
		return -1;
	return b->sp != NULL ? copy_spool(st, id, b->sp) : 0;
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
	sqlite3_stmt *s = store_stmt(st, "SELECT size, refcount FROM messages WHERE id = ?1");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, message_id);
	if (store_step_row(st, s, "message_info", "no such message") < 0)
		return -1;
	*size = sqlite3_column_int64(s, 0);
	*refcount = sqlite3_column_int64(s, 1);
	sqlite3_reset(s);
	return 0;
}

int store_message_hash(struct store *st, int64_t message_id,
                       unsigned char hash[STORE_HASH_LEN])
{
	sqlite3_stmt *s = store_stmt(st, "SELECT hash FROM messages WHERE id = ?1");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, message_id);
	if (store_step_row(st, s, "message_hash", "no such message") < 0)
		return -1;
	int ok = sqlite3_column_bytes(s, 0) == STORE_HASH_LEN;
	if (ok)
		memcpy(hash, sqlite3_column_blob(s, 0), STORE_HASH_LEN);
	sqlite3_reset(s);
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
	sqlite3_stmt *s = store_stmt(st,
	    "SELECT id FROM messages WHERE hash BETWEEN ?1 AND ?2 ORDER BY hash LIMIT 1");
	if (s == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, lo, STORE_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, hi, STORE_HASH_LEN, SQLITE_STATIC);
	if (store_step_row(st, s, "message_find_hash", "no such message") < 0)
		return -1;
	*id_out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return 0;
}

ssize_t store_message_read(struct store *st, int64_t message_id, size_t offset,
                           void *buf, size_t len)
{
	sqlite3_blob *blob = NULL;
	int rc = sqlite3_blob_open(st->db, "main", "message_bodies", "body", message_id, 0,
	                           &blob);
	if (rc != SQLITE_OK) {
		sqlite3_blob_close(blob);
		/* SQLITE_ERROR here means "no such row" */
		if (rc == SQLITE_ERROR)
			return store_fail_kind(st, STORE_E_NOTFOUND, "message_read", "no such message");
		return store_fail(st, "message_read", rc);
	}
	size_t size = (size_t)sqlite3_blob_bytes(blob);
	size_t n = offset >= size ? 0 : (size - offset < len ? size - offset : len);
	if (n > 0)   /* a blob is below 2 GiB, so both fit an int */
		rc = sqlite3_blob_read(blob, buf, (int)n, (int)offset);
	sqlite3_blob_close(blob);
	if (rc != SQLITE_OK)
		return store_fail(st, "message_read", rc);
	return (ssize_t)n;
}

/* *DATA gets a malloc'ed copy of blob column 0 of S's row, *LEN its size. */
static int copy_blob(struct store *st, sqlite3_stmt *s, const char *op, void **data,
                     size_t *len)
{
	const void *p = sqlite3_column_blob(s, 0);
	*len = (size_t)sqlite3_column_bytes(s, 0);
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
	sqlite3_stmt *s = store_stmt(st, "SELECT body FROM message_bodies WHERE id = ?1");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, message_id);
	if (store_step_row(st, s, "message_get", "no such message") < 0)
		return -1;
	int r = copy_blob(st, s, "message_get", data, len);
	sqlite3_reset(s);
	if (r == 0 && *data == NULL && (*data = malloc(1)) == NULL)   /* empty message */
		r = store_fail_kind(st, STORE_E_TRANSIENT, "message_get", "out of memory");
	return r;
}

int store_message_structure(struct store *st, int64_t message_id, void **data,
                            size_t *len)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT structure FROM messages WHERE id = ?1");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, message_id);
	if (store_step_row(st, s, "message_structure", "no such message") < 0)
		return -1;
	int r = copy_blob(st, s, "message_structure", data, len);
	sqlite3_reset(s);
	return r;
}

int store_message_set_structure(struct store *st, int64_t message_id,
                                const void *structure, size_t structure_len)
{
	sqlite3_stmt *s = store_stmt(st, "UPDATE messages SET structure = ?2 WHERE id = ?1");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, message_id);
	if (structure != NULL && structure_len > 0)
		sqlite3_bind_blob64(s, 2, structure, structure_len, SQLITE_STATIC);
	return store_exec_changed(st, s, "message_structure", "no such message");
}
