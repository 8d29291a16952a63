/*
 * pq_lib.h - libpq, loaded when a PostgreSQL store is first opened.
 *
 * Why not link it: libpq pulls in about twenty more shared libraries
 * (Kerberos, LDAP, GnuTLS, p11-kit ...) whose loading and constructors
 * cost every exec some 7 ms, and most sites run the SQLite default.
 * So no program links libpq; the PostgreSQL modules call it through the
 * table below, filled by dlopen on first use.  libpq-fe.h still gives
 * the types and constants at build time.
 *
 *   if (pq_lib_load(err, sizeof err) == NULL) ... err says why
 *   PGconn *c = pq_lib->connectdb(conninfo);
 *
 * Each member is named for its libpq function without the "PQ" prefix
 * and has that function's exact type.
 */
#ifndef EMS_PQ_LIB_H
#define EMS_PQ_LIB_H

#include <libpq-fe.h>
#include <stddef.h>

/* The shared object dlopen asks for: libpq's ABI has been 5 since 2002. */
#define PQ_LIB_SONAME "libpq.so.5"

/* Every libpq function ems calls (all present in libpq 15). */
#define PQ_LIB_FUNCTIONS(X) \
	X(clear) X(cmdStatus) X(cmdTuples) X(connectPoll) X(connectStart) \
	X(connectdb) X(connectdbParams) X(consumeInput) X(db) X(errorMessage) \
	X(exec) X(execParams) X(execPrepared) X(finish) X(freemem) X(ftype) \
	X(getisnull) X(getlength) X(getvalue) X(host) X(nfields) X(notifies) \
	X(ntuples) X(prepare) X(resultErrorField) X(resultErrorMessage) \
	X(resultStatus) X(setNoticeProcessor) X(socket) X(status) \
	X(transactionStatus) X(unescapeBytea) X(sendQueryPrepared) \
	X(setSingleRowMode) X(getResult) X(isBusy) X(getCancel) X(cancel) \
	X(freeCancel) X(flush) X(setnonblocking) X(sendQuery) X(sendPrepare)

#define PQ_LIB_MEMBER(name) __typeof__(PQ##name) *name;
struct pq_lib {
	PQ_LIB_FUNCTIONS(PQ_LIB_MEMBER)
};
#undef PQ_LIB_MEMBER

/* The table once pq_lib_load() has succeeded (in any thread: a caller
 * reaches it only through a handle made after its own load); NULL
 * before.  Written only inside the load's pthread_once. */
extern const struct pq_lib *pq_lib;

/* The table, loading libpq on the first call (thread-safe).  NULL when
 * it cannot be loaded; then ERR (of ERRLEN bytes) says why, and every
 * later call fails the same way. */
const struct pq_lib *pq_lib_load(char *err, size_t errlen);

#endif
