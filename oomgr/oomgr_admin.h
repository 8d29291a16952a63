/*
 * oomgr_admin.h - what oomgr's directory statements (insert, update,
 * delete, list, show, whoami, connect, import) share: the store they
 * work on directly (no guardian needed), the domain the session is
 * connected to, and the parsing of parameter values.  Every function that
 * can fail prints a sentence for the administrator (oomgr_fail()) and
 * returns -1 (NULL for pointers).
 */
#ifndef EMS_OOMGR_ADMIN_H
#define EMS_OOMGR_ADMIN_H

#include "oomgr.h"
#include "store.h"

#include <stdbool.h>
#include <stdint.h>

/* The store of the configuration, opened on first use and closed at exit. */
struct store *admin_store(struct oomgr *o);

/* Closes the session's store if it is open (restore needs the store
 * unused, also by this process). */
void admin_store_release(void);

/* A sentence about the failed store call that was to change or find the
 * WHAT called NAME ("person", "demo@example.test"); returns -1. */
int admin_failed(struct store *st, const char *what, const char *name);

/* -1 (said) when ST has a parameter that is not among the NULL-terminated
 * KNOWN keys; 0 otherwise. */
int admin_check_params(const struct oomgr_stmt *st, const char *const *known);

/* The value of KEY, or NULL after saying that the statement needs it. */
const char *admin_required(const struct oomgr_stmt *st, const char *key);

/*
 * Completes NAME to "name@domain" into OUT (OUTLEN bytes): NAME with an
 * '@' stays as it is, a bare name takes the domain the session is
 * connected to.  -1 (said) when there is none or the result is no
 * address.  LOCAL and DOMAIN (ADDR_LOCAL_MAX + 1 and ADDR_DOMAIN_MAX + 1
 * bytes, may be NULL) get its parts.
 */
int admin_address(const char *name, char *out, size_t outlen, char *local,
                  char *domain);

/* Calls EACH for every address of the comma- or blank-separated LIST,
 * completed as admin_address() does; stops at the first failure (-1). */
int admin_each_address(const char *list, int (*each)(const char *addr, void *arg),
                       void *arg);

/* Fills P with the person NAME (completed as admin_address() does);
 * -1 (said) when there is none. */
int admin_find_person(struct oomgr *o, const char *name, struct store_person *p);

/* For a statement about one person: checks ST's parameters against the
 * KNOWN keys, then fills *NAME with its "username" (required) and P with
 * that person as admin_find_person() does.  0, or -1 (said). */
int admin_stmt_person(struct oomgr *o, const struct oomgr_stmt *st,
                      const char *const *known, const char **name,
                      struct store_person *p);

/* The domain of `connect`, or NULL before one. */
const char *admin_domain(void);

/* Value parsers: 0 with *OUT set, or -1 after saying what KEY needs. */
int admin_parse_size(const char *key, const char *text, int64_t *out);
int admin_parse_count(const char *key, const char *text, int64_t *out);
/* A whole number from LO to HI. */
int admin_parse_range(const char *key, const char *text, int64_t lo, int64_t hi,
                      int64_t *out);
int admin_parse_bool(const char *key, const char *text, bool *out);
int admin_parse_services(const char *key, const char *text, unsigned *out);
/* "YYYY-MM-DD" or "YYYY-MM-DD HH:MM" local time, "" for none (0). */
int admin_parse_date(const char *key, const char *text, int64_t *out);

/* Statement handlers of the other admin files. */
int oomgr_insert(struct oomgr *o, const struct oomgr_stmt *st);
int oomgr_update(struct oomgr *o, const struct oomgr_stmt *st);
int oomgr_delete(struct oomgr *o, const struct oomgr_stmt *st);
int oomgr_list(struct oomgr *o, const struct oomgr_stmt *st);
int oomgr_show(struct oomgr *o, const struct oomgr_stmt *st);
int oomgr_whoami(struct oomgr *o, const struct oomgr_stmt *st);
int oomgr_connect(struct oomgr *o, const struct oomgr_stmt *st);
int oomgr_import(struct oomgr *o, const struct oomgr_stmt *st);
/* sieve ...; and check sieve FILE; (oomgr_sieve.c) */
int oomgr_sieve(struct oomgr *o, const struct oomgr_stmt *st);
int oomgr_check_sieve(struct oomgr *o, const struct oomgr_stmt *st);

#endif
