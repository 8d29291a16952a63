/*
 * store_exec.c - running SQL for the store_*.c files: stepping helpers
 * and the logging of failures by kind (transient or not); see
 * store_internal.h.
 */
#include "store_internal.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

int store_fail(struct store *st, const char *op)
{
	st->last_error = st->drv->classify(st);
	enum log_level level = LOG_LVL_ERROR;
	if (st->last_error == STORE_E_EXISTS || st->last_error == STORE_E_INVALID ||
	    st->last_error == STORE_E_NOTFOUND)
		level = LOG_LVL_INFO;
	else if (st->last_error == STORE_E_TRANSIENT)
		level = LOG_LVL_WARN;
	const char *msg = st->drv->errmsg(st);
	log_event(level, "store_error", "op=%s transient=%s error=%s", op,
	          st->last_error == STORE_E_TRANSIENT ? "yes" : "no",
	          log_quote(msg != NULL ? msg : "unknown"));
	return -1;
}

int store_fail_kind(struct store *st, enum store_error kind, const char *op,
                    const char *what)
{
	st->last_error = kind;
	enum log_level level = LOG_LVL_INFO;
	if (kind == STORE_E_NOTFOUND)
		level = LOG_LVL_DEBUG;
	else if (kind == STORE_E_FAILED)
		level = LOG_LVL_ERROR;
	else if (kind == STORE_E_TRANSIENT)
		level = LOG_LVL_WARN;
	log_event(level, "store_error", "op=%s transient=%s error=%s", op,
	          kind == STORE_E_TRANSIENT ? "yes" : "no", log_quote(what));
	return -1;
}

int store_sqlite_only(struct store *st, const char *op)
{
	if (st->drv == &store_driver_sqlite)
		return 0;
	return store_fail_kind(st, STORE_E_FAILED, op, "not supported on this backend");
}

int store_exec_stmt(struct store *st, struct store_stmt *s, const char *op)
{
	int rc = store_step(st, s, op);
	store_reset(s);
	return rc < 0 ? -1 : 0;
}

int store_exec_changed(struct store *st, struct store_stmt *s, const char *op,
                       const char *what)
{
	if (store_exec_stmt(st, s, op) < 0)
		return -1;
	if (store_changes(st) == 0)
		return store_fail_kind(st, STORE_E_NOTFOUND, op, what);
	return 0;
}

int store_step_row(struct store *st, struct store_stmt *s, const char *op,
                   const char *what)
{
	int rc = store_step(st, s, op);
	if (rc == STORE_ROW)
		return 0;
	store_reset(s);
	if (rc == STORE_DONE)
		return store_fail_kind(st, STORE_E_NOTFOUND, op, what);
	return -1;
}

int store_each_row(struct store *st, struct store_stmt *s, const char *op,
                   int (*each)(struct store_stmt *s, void *ctx), void *ctx)
{
	int rc;
	while ((rc = store_step(st, s, op)) == STORE_ROW)
		if (each(s, ctx) != 0)
			break;
	store_reset(s);
	return rc < 0 ? -1 : 0;
}

int store_exec_id(struct store *st, struct store_stmt *s, const char *op, int64_t *id)
{
	int rc = store_step(st, s, op);
	if (rc == STORE_ROW)
		*id = store_col_int64(s, 0);
	store_reset(s);
	if (rc == STORE_ROW)
		return 0;
	return rc < 0 ? -1 : store_fail_kind(st, STORE_E_FAILED, op, "no id returned");
}

char *store_col_text(struct store_stmt *s, int i)
{
	char *copy = strdup(store_col_str(s, i));
	if (copy == NULL)
		abort();   /* out of memory for a short string: nothing sane left */
	return copy;
}

bool store_blank(const char *s)
{
	return s == NULL || *s == '\0';
}

bool store_address_ok(const char *addr)
{
	if (store_blank(addr) || strchr(addr, '@') == NULL)
		return false;
	for (const unsigned char *p = (const unsigned char *)addr; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}
