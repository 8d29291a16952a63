/*
 * access_filter.h - the Allow and Deny access filters of ems.conf: which
 * clients may use which service.  The iolistener parses them at start
 * and on refresh, and checks every accepted connection before handing
 * it to a worker.  The module is pure: it does no I/O and no DNS.
 *
 * A filter reads "serviceList: clientList", for example
 *
 *   pop, imap: .example.com, 192.168.0.0/16 EXCEPT badhost.example.com
 *
 * (man/access-filters.5.part describes the syntax in full).  Filters
 * come from three places in ems.conf: the list access.allow, the list
 * access.deny, and the compact string access.rules
 * ("+imap:ALL$-pop:.evil.example"), whose '+' rules follow access.allow
 * and whose '-' rules follow access.deny.
 *
 * Decision: the Allow filters are tried in order, then the Deny
 * filters; the first filter that matches decides; when none matches,
 * the client is allowed.
 *
 * Host names: patterns such as ".example.com", LOCAL, KNOWN, UNKNOWN and
 * DNSSPOOFER need the client's host name, which takes a reverse and a
 * forward DNS lookup.  access_check() never waits for one: called with
 * ACCESS_HOST_UNRESOLVED it answers ACCESS_NEED_HOSTNAME when a filter
 * that needs the name comes before any filter that matches without it;
 * the caller then looks the name up without blocking and calls again
 * with the result.  Clients the address filters decide cost no lookup.
 */
#ifndef EMS_ACCESS_FILTER_H
#define EMS_ACCESS_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Longest filter, and longest compact string, the parser accepts. */
#define ACCESS_FILTER_MAX_TEXT 4096
#define ACCESS_COMPACT_MAX_TEXT 65536
/* Most filters in one set (allow, deny and compact rules together). */
#define ACCESS_FILTER_MAX_COUNT 4096

/* Where the filters come from.  Strings are only read during the call. */
struct access_filter_config {
	const char *source;            /* file name for messages, "ems.conf" */
	const char *const *allow;      /* access.allow entries */
	size_t n_allow;
	const char *const *deny;       /* access.deny entries */
	size_t n_deny;
	const char *compact;           /* access.rules, or NULL */
	/* NULL-terminated service names a filter may name ("pop", "imap"),
	 * so that a typo is an error; NULL accepts any well-formed name. */
	const char *const *services;
};

struct access_filters;

/*
 * Parses every filter of CFG into one set.  Returns the set, which the
 * caller frees with access_filters_free(); an empty set (no filters at
 * all) is valid and allows everyone.  On a syntax error returns NULL,
 * having logged the reason (event access_filter_invalid) and written the
 * same sentence, with its place, to ERR (ERRLEN bytes, always
 * terminated when ERRLEN > 0):
 *
 *   ems.conf: access.allow[2] col 14: expected ':' after service list
 *
 * Entries are counted from 0; columns from 1, in the entry (or in the
 * whole compact string).  Nothing is kept from a set that fails, so a
 * caller refreshing its filters keeps the old set.
 */
struct access_filters *access_filters_parse(
    const struct access_filter_config *cfg, char *err, size_t errlen);

/* Frees FILTERS; NULL is ignored. */
void access_filters_free(struct access_filters *filters);

/* What the caller knows about the client's host name. */
enum access_host_state {
	ACCESS_HOST_UNRESOLVED,  /* not looked up (yet) */
	ACCESS_HOST_VERIFIED,    /* hostname holds the name; forward lookup
	                            of that name gives the client's address */
	ACCESS_HOST_NONAME,      /* no name: no PTR record, or the lookup
	                            failed or timed out */
	ACCESS_HOST_MISMATCH,    /* the PTR name does not resolve back to the
	                            address: a possible spoofer */
};

/* One connection as the filters see it. */
struct access_client {
	/* Client address; NULL, or a family other than AF_INET/AF_INET6,
	 * means "address unknown".  IPv4-mapped IPv6 addresses are
	 * matched as the IPv4 address they carry. */
	const struct sockaddr *peer;
	/* Local address the client connected to, matched by the
	 * "service@address" form; NULL means unknown. */
	const struct sockaddr *local;
	enum access_host_state host_state;
	const char *hostname;    /* read only when ACCESS_HOST_VERIFIED */
};

enum access_list { ACCESS_LIST_ALLOW, ACCESS_LIST_DENY };

enum access_verdict { ACCESS_ALLOW, ACCESS_DENY, ACCESS_NEED_HOSTNAME };

/* Which filter decided, for the log line. */
struct access_decision {
	enum access_verdict verdict;
	bool matched;            /* false: no filter matched (allowed) */
	enum access_list list;   /* when matched: the deciding filter's list */
	size_t index;            /* ... and its place there, from 0 */
	const char *origin;      /* "access.allow[2]", "access.rules[1]" */
	const char *text;        /* the filter as written */
};

/*
 * Decides whether CLIENT may use SERVICE (a name such as "pop",
 * compared without regard to case).  Returns the verdict and, when OUT
 * is not NULL, fills it; OUT's strings point into FILTERS and live as
 * long as the set.  ACCESS_NEED_HOSTNAME comes only when
 * CLIENT->host_state is ACCESS_HOST_UNRESOLVED, the client's address is
 * known, and the first filter that could decide depends on the host
 * name (OUT then names that filter, with matched false); it never comes
 * for any other state.  Host names are compared without regard to case
 * and to one trailing dot.  Cannot fail.
 */
enum access_verdict access_check(const struct access_filters *filters,
                                 const char *service,
                                 const struct access_client *client,
                                 struct access_decision *out);

/* "allow", "deny" or "need_hostname", for log fields. */
const char *access_verdict_name(enum access_verdict verdict);

#endif
