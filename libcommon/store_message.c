/*
 * store_message.c - single-instance message bodies, their reference
 * counts, and the submission and outbound queues; see store.h.
 */
#include "store_internal.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

int store_message_ref(struct store *st, int64_t message_id, int delta)
{
	sqlite3_stmt *s = store_stmt(st,
	    "UPDATE messages SET refcount = refcount + ?2 WHERE id = ?1");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, message_id);
	sqlite3_bind_int(s, 2, delta);
	if (store_exec_stmt(st, s, "message_ref") < 0)
		return -1;
	return sqlite3_changes(st->db) ? 0
	                               : store_fail_kind(st, STORE_E_NOTFOUND, "message_ref", "id");
}

static int find_by_hash(struct store *st, const unsigned char *hash, int64_t *id)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT id FROM messages WHERE hash = ?1");
	if (s == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, hash, 32, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : store_fail(st, "message_put", rc);
}

int store_message_put(struct store *st, const void *data, size_t len,
                      int64_t internal_date, const void *structure,
                      size_t structure_len, int64_t *id_out)
{
	unsigned char hash[32];
	unsigned int hlen = 0;
	if (EVP_Digest(data, len, hash, &hlen, EVP_sha256(), NULL) != 1 || hlen != 32)
		return store_fail_kind(st, STORE_E_FAILED, "message_put", "sha256 failed");
	int found = find_by_hash(st, hash, id_out);
	if (found <= 0)
		return found;
	sqlite3_stmt *s = store_stmt(st,
	    "INSERT INTO messages (hash, size, internal_date, structure, body)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)");
	if (s == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (int64_t)len);
	sqlite3_bind_int64(s, 3, internal_date);
	if (structure != NULL)
		sqlite3_bind_blob64(s, 4, structure, structure_len, SQLITE_STATIC);
	sqlite3_bind_blob64(s, 5, len ? data : "", len, SQLITE_STATIC);
	if (store_exec_stmt(st, s, "message_put") < 0)
		return -1;
	*id_out = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int store_message_info(struct store *st, int64_t message_id, int64_t *size,
                       int64_t *refcount)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT size, refcount FROM messages WHERE id = ?1");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, message_id);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*size = sqlite3_column_int64(s, 0);
		*refcount = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? store_fail_kind(st, STORE_E_NOTFOUND, "message_info", "id")
	                         : store_fail(st, "message_info", rc);
}

ssize_t store_message_read(struct store *st, int64_t message_id, size_t offset,
                           void *buf, size_t len)
{
	sqlite3_blob *blob = NULL;
	int rc = sqlite3_blob_open(st->db, "main", "messages", "body", message_id, 0, &blob);
	if (rc != SQLITE_OK) {
		sqlite3_blob_close(blob);
		if (rc == SQLITE_ERROR)
			return store_fail_kind(st, STORE_E_NOTFOUND, "message_read", "id");
		return store_fail(st, "message_read", rc);
	}
	size_t size = (size_t)sqlite3_blob_bytes(blob);
	size_t n = offset >= size ? 0 : (size - offset < len ? size - offset : len);
	if (n > 0)
		rc = sqlite3_blob_read(blob, buf, (int)n, (int)offset);
	sqlite3_blob_close(blob);
	if (rc != SQLITE_OK)
		return store_fail(st, "message_read", rc);
	return (ssize_t)n;
}

int store_message_structure(struct store *st, int64_t message_id, void **data,
                            size_t *len)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT structure FROM messages WHERE id = ?1");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, message_id);
	int rc = sqlite3_step(s);
	*data = NULL;
	*len = 0;
	if (rc == SQLITE_ROW && sqlite3_column_bytes(s, 0) > 0) {
		*len = (size_t)sqlite3_column_bytes(s, 0);
		*data = malloc(*len);
		if (*data == NULL) {
			sqlite3_reset(s);
			return store_fail_kind(st, STORE_E_TRANSIENT, "message_structure", "out of memory");
		}
		memcpy(*data, sqlite3_column_blob(s, 0), *len);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? store_fail_kind(st, STORE_E_NOTFOUND, "message_structure", "id")
	                         : store_fail(st, "message_structure", rc);
}

/* ---- submission queue ---- */

void store_queue_item_clear(struct store_queue_item *q)
{
	free(q->sender);
	free(q->recipients);
	memset(q, 0, sizeof *q);
}

int store_queue_submit(struct store *st, const char *sender,
                       const char *recipients, const void *data, size_t len,
                       int64_t internal_date, const void *structure,
                       size_t structure_len, int64_t *id_out)
{
	int64_t message_id, now = (int64_t)time(NULL);
	sqlite3_stmt *s = store_stmt(st,
	    "INSERT INTO queue (sender, recipients, message_id, next_attempt, created)"
	    " VALUES (?1, ?2, ?3, ?4, ?4)");
	if (s == NULL || store_tx_begin(st) < 0)
		return -1;
	if (store_message_put(st, data, len, internal_date, structure, structure_len,
	                      &message_id) < 0)
		goto fail;
	sqlite3_bind_text(s, 1, sender ? sender : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, recipients, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, message_id);
	sqlite3_bind_int64(s, 4, now);
	if (store_exec_stmt(st, s, "queue_submit") < 0)
		goto fail;
	int64_t id = sqlite3_last_insert_rowid(st->db);
	if (store_message_ref(st, message_id, +1) < 0)
		goto fail;
	if (store_tx_commit(st) < 0)
		return -1;
	if (id_out != NULL)
		*id_out = id;
	return 0;
fail:
	store_tx_rollback(st);
	return -1;
}

int store_queue_next(struct store *st, int64_t now, struct store_queue_item *out)
{
	sqlite3_stmt *s = store_stmt(st,
	    "SELECT id, sender, recipients, message_id, attempts, created FROM queue"
	    " WHERE next_attempt <= ?1 ORDER BY next_attempt, id LIMIT 1");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(s, 0);
		out->sender = store_col_text(s, 1);
		out->recipients = store_col_text(s, 2);
		out->message_id = sqlite3_column_int64(s, 3);
		out->attempts = sqlite3_column_int(s, 4);
		out->created = sqlite3_column_int64(s, 5);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? store_fail_kind(st, STORE_E_NOTFOUND, "queue_next", "empty")
	                         : store_fail(st, "queue_next", rc);
}

/* Deletes a queue row (TABLE_SQL) and drops its message reference. */
static int queue_remove(struct store *st, const char *sql, int64_t id, const char *op)
{
	sqlite3_stmt *s = store_stmt(st, sql);
	if (s == NULL || store_tx_begin(st) < 0)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	int rc = sqlite3_step(s);
	int64_t message_id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW) {
		if (rc == SQLITE_DONE)
			store_fail_kind(st, STORE_E_NOTFOUND, op, "id");
		else
			store_fail(st, op, rc);
		store_tx_rollback(st);
		return -1;
	}
	if (store_message_ref(st, message_id, -1) < 0) {
		store_tx_rollback(st);
		return -1;
	}
	return store_tx_commit(st);
}

int store_queue_done(struct store *st, int64_t id)
{
	return queue_remove(st, "DELETE FROM queue WHERE id = ?1 RETURNING message_id",
	                    id, "queue_done");
}

int store_queue_retry(struct store *st, int64_t id, int64_t next_attempt,
                      const char *error)
{
	sqlite3_stmt *s = store_stmt(st,
	    "UPDATE queue SET attempts = attempts + 1, next_attempt = ?2, last_error = ?3"
	    " WHERE id = ?1");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, next_attempt);
	sqlite3_bind_text(s, 3, error ? error : "", -1, SQLITE_STATIC);
	if (store_exec_stmt(st, s, "queue_retry") < 0)
		return -1;
	return sqlite3_changes(st->db) ? 0
	                               : store_fail_kind(st, STORE_E_NOTFOUND, "queue_retry", "id");
}

int store_queue_depth(struct store *st, int64_t *count)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT count(*) FROM queue");
	if (s == NULL)
		return -1;
	int rc = sqlite3_step(s);
	*count = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : store_fail(st, "queue_depth", rc);
}

/* ---- outbound queue ---- */

void store_outbound_item_clear(struct store_outbound_item *o)
{
	free(o->sender);
	free(o->recipient);
	memset(o, 0, sizeof *o);
}

int store_outbound_add(struct store *st, const char *sender, const char *recipient,
                       int64_t message_id, int64_t *id_out)
{
	int64_t now = (int64_t)time(NULL);
	sqlite3_stmt *s = store_stmt(st,
	    "INSERT INTO outbound (sender, recipient, message_id, next_attempt, created)"
	    " VALUES (?1, ?2, ?3, ?4, ?4)");
	if (s == NULL || store_tx_begin(st) < 0)
		return -1;
	sqlite3_bind_text(s, 1, sender ? sender : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, recipient, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, message_id);
	sqlite3_bind_int64(s, 4, now);
	if (store_exec_stmt(st, s, "outbound_add") < 0 ||
	    store_message_ref(st, message_id, +1) < 0) {
		store_tx_rollback(st);
		return -1;
	}
	int64_t id = sqlite3_last_insert_rowid(st->db);
	if (store_tx_commit(st) < 0)
		return -1;
	if (id_out != NULL)
		*id_out = id;
	return 0;
}

int store_outbound_next(struct store *st, int64_t now, struct store_outbound_item *out)
{
	sqlite3_stmt *s = store_stmt(st,
	    "SELECT id, sender, recipient, message_id, attempts, created FROM outbound"
	    " WHERE next_attempt <= ?1 ORDER BY next_attempt, id LIMIT 1");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(s, 0);
		out->sender = store_col_text(s, 1);
		out->recipient = store_col_text(s, 2);
		out->message_id = sqlite3_column_int64(s, 3);
		out->attempts = sqlite3_column_int(s, 4);
		out->created = sqlite3_column_int64(s, 5);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? store_fail_kind(st, STORE_E_NOTFOUND, "outbound_next", "empty")
	                         : store_fail(st, "outbound_next", rc);
}

int store_outbound_done(struct store *st, int64_t id)
{
	return queue_remove(st, "DELETE FROM outbound WHERE id = ?1 RETURNING message_id",
	                    id, "outbound_done");
}

int store_outbound_retry(struct store *st, int64_t id, int64_t next_attempt,
                         const char *error)
{
	sqlite3_stmt *s = store_stmt(st,
	    "UPDATE outbound SET attempts = attempts + 1, next_attempt = ?2, last_error = ?3"
	    " WHERE id = ?1");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, next_attempt);
	sqlite3_bind_text(s, 3, error ? error : "", -1, SQLITE_STATIC);
	if (store_exec_stmt(st, s, "outbound_retry") < 0)
		return -1;
	return sqlite3_changes(st->db) ? 0
	                               : store_fail_kind(st, STORE_E_NOTFOUND, "outbound_retry", "id");
}
