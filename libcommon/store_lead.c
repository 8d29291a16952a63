/*
 * store_lead.c - which node does a store-wide chore (store_lead() in
 * store.h), and which backend a handle runs on.
 */
#include "store_internal.h"
#include "store_driver.h"

#include <string.h>

/* The first key of ems's chore locks ("ems"); the second is the role's. */
#define LEAD_KEY 0x656d73

const char *store_backend(const struct store *st)
{
	return st->drv->name;
}

/* A stable positive 31-bit number for ROLE. */
static int64_t role_key(const char *role)
{
	uint32_t h = 5381;
	for (const unsigned char *p = (const unsigned char *)role; *p; p++)
		h = h * 33u + *p;
	return (int64_t)(h & 0x7fffffffu);
}

int store_lead(struct store *st, const char *role, bool *lead)
{
	*lead = true;
	if (strcmp(st->drv->name, "postgresql") != 0)
		return 0;
	/* Asking again while holding it would stack the lock: look first. */
	struct store_stmt *s = store_stmt(st,
	    "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
	    " AND granted AND pid = pg_backend_pid() AND classid = ?1::oid"
	    " AND objid = ?2::oid AND objsubid = 2) THEN 1"
	    " WHEN pg_try_advisory_lock(?1::int4, ?2::int4) THEN 1 ELSE 0 END");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, LEAD_KEY);
	store_bind_int64(s, 2, role_key(role));
	if (store_step_row(st, s, "lead", "no answer") < 0)
		return -1;
	*lead = store_col_int(s, 0) != 0;
	store_reset(s);
	return 0;
}
