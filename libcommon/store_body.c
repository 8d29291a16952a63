/*
 * store_body.c - the message body seam (store_internal.h): each call goes
 * to the version of the store's backend.
 */
#include "store_internal.h"

int store_body_write(struct store *st, int64_t id, const void *data, size_t len)
{
#ifdef EMS_HAVE_PG
	if (st->drv == &store_driver_pg)
		return store_pg_body_write(st, id, data, len);
#endif
	return store_sqlite_body_write(st, id, data, len);
}

int store_body_write_spool(struct store *st, int64_t id, const struct spool *sp)
{
#ifdef EMS_HAVE_PG
	if (st->drv == &store_driver_pg)
		return store_pg_body_write_spool(st, id, sp);
#endif
	return store_sqlite_body_write_spool(st, id, sp);
}

ssize_t store_body_read(struct store *st, int64_t id, size_t off, void *buf, size_t n)
{
#ifdef EMS_HAVE_PG
	if (st->drv == &store_driver_pg)
		return store_pg_body_read(st, id, off, buf, n);
#endif
	return store_sqlite_body_read(st, id, off, buf, n);
}
