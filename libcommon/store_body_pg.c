/*
 * store_body_pg.c - message bodies on PostgreSQL (store_internal.h's
 * body seam, called for a store whose driver is store_driver_pg): rows
 * of message_chunks, STORE_PG_CHUNK bytes each but the last, written and
 * read one row at a time, so that a 40 MB message never sits whole in
 * memory on either side.  An empty body is one empty row: a message
 * always has chunk 0, which tells "no such message" from "past the end".
 */
#ifdef EMS_HAVE_PG

#include "store_internal.h"
#include "store_pg.h"
#include "spool.h"

#include <stdlib.h>
#include <string.h>

static int put_chunk(struct store *st, int64_t id, int64_t seq, const void *p, size_t n)
{
	struct store_stmt *s = store_stmt(st,
	    "INSERT INTO message_chunks (message_id, seq, data) VALUES (?1, ?2, ?3)");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, id);
	store_bind_int64(s, 2, seq);
	store_bind_blob(s, 3, p, n);
	return store_exec_stmt(st, s, "message_put");
}

int store_pg_body_write(struct store *st, int64_t id, const void *data, size_t len)
{
	size_t off = 0;
	int64_t seq = 0;
	do {
		size_t n = len - off < STORE_PG_CHUNK ? len - off : STORE_PG_CHUNK;
		if (put_chunk(st, id, seq++, (const char *)data + off, n) < 0)
			return -1;
		off += n;
	} while (off < len);
	return 0;
}

/* Fills BUF with the N bytes of SP from OFF (spool_read may return less). */
static int read_spool(struct store *st, const struct spool *sp, uint64_t off, char *buf,
                      size_t n)
{
	for (size_t got = 0; got < n;) {
		ssize_t r = spool_read(sp, off + got, buf + got, n - got);
		if (r <= 0)
			return store_fail_kind(st, STORE_E_TRANSIENT, "message_put",
			                       "spool file unreadable");
		got += (size_t)r;
	}
	return 0;
}

int store_pg_body_write_spool(struct store *st, int64_t id, const struct spool *sp)
{
	char *buf = malloc(STORE_PG_CHUNK);
	if (buf == NULL)
		return store_fail_kind(st, STORE_E_TRANSIENT, "message_put", "out of memory");
	uint64_t size = spool_size(sp), off = 0;
	int64_t seq = 0;
	int r = 0;
	do {
		size_t n = size - off < STORE_PG_CHUNK ? (size_t)(size - off) : STORE_PG_CHUNK;
		r = read_spool(st, sp, off, buf, n);
		if (r == 0)
			r = put_chunk(st, id, seq++, buf, n);
		off += n;
	} while (r == 0 && off < size);
	free(buf);
	return r;
}

/* 0 when message ID has a body (chunk 0), else -1 with NOTFOUND. */
static int body_exists(struct store *st, int64_t id)
{
	struct store_stmt *s = store_stmt(st,
	    "SELECT 1 FROM message_chunks WHERE message_id = ?1 AND seq = 0");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, id);
	if (store_step_row(st, s, "message_read", "no such message") < 0)
		return -1;
	store_reset(s);
	return 0;
}

/* Copies up to N bytes from offset IN of chunk SEQ of message ID to BUF:
 * how many (0: no such chunk or IN past its end), -1 on failure; *FULL
 * says whether the chunk was a whole one (more may follow).  Only the
 * slice asked for leaves the server (the column is stored uncompressed,
 * so substring reads only that slice from disk too). */
static ssize_t read_chunk(struct store *st, int64_t id, int64_t seq, size_t in, void *buf,
                          size_t n, bool *full)
{
	struct store_stmt *s = store_stmt(st,
	    "SELECT substring(data FROM CAST(?3 AS INTEGER) FOR CAST(?4 AS INTEGER)),"
	    " length(data) FROM message_chunks WHERE message_id = ?1 AND seq = ?2");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, id);
	store_bind_int64(s, 2, seq);
	store_bind_int64(s, 3, (int64_t)in + 1);   /* SQL counts from 1 */
	store_bind_int64(s, 4, (int64_t)n);
	int r = store_step(st, s, "message_read");
	size_t len = 0;
	if (r == STORE_ROW) {
		const void *p = store_col_blob(s, 0, &len);
		if (len > n)
			len = n;
		if (len > 0)
			memcpy(buf, p, len);
		*full = store_col_int64(s, 1) == STORE_PG_CHUNK;
	}
	store_reset(s);
	return r < 0 ? -1 : (ssize_t)len;
}

ssize_t store_pg_body_read(struct store *st, int64_t id, size_t off, void *buf, size_t n)
{
	size_t done = 0;
	bool full = true;
	while (done < n && full) {
		size_t at = off + done;
		full = false;
		ssize_t got = read_chunk(st, id, (int64_t)(at / STORE_PG_CHUNK),
		                         at % STORE_PG_CHUNK, (char *)buf + done, n - done, &full);
		if (got < 0)
			return -1;
		if (got == 0)
			break;
		done += (size_t)got;
	}
	/* nothing read: past the end of a body, or no such message */
	if (done == 0 && n > 0 && body_exists(st, id) < 0)
		return -1;
	return (ssize_t)done;
}

#endif /* EMS_HAVE_PG */
