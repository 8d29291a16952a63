/*
 * address.h - envelope mail addresses as smtpgw, postman and oomgr see
 * them: "local@domain", with sub-addressing "user+detail@domain".
 *
 * Envelope addresses arrive in many shapes ("<Demo@Example.TEST>",
 * "demo@example.test", "" for the null sender); addr_normalize() turns
 * them into the one form the store and the queues keep: no angle
 * brackets, no blanks, the domain in lower case (domains compare without
 * case; the local part is kept as given, and the store compares it
 * without case too).  Nothing here logs: callers turn a -1 into the
 * protocol's error reply.
 */
#ifndef EMS_ADDRESS_H
#define EMS_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

/* RFC 5321 section 4.5.3.1: a path is at most 256 octets, a local part
 * 64 and a domain 255; ems allows a little more in the local part (long
 * detail tags) but never more than this in all. */
#define ADDR_MAX        256
#define ADDR_LOCAL_MAX  128
#define ADDR_DOMAIN_MAX 255

/* The separator of sub-addresses: "user+detail@domain". */
#define ADDR_DETAIL_SEP '+'

/*
 * Writes IN in normal form into OUT (OUTLEN >= ADDR_MAX + 1): surrounding
 * blanks and one pair of angle brackets removed, an RFC 5321 source route
 * ("@a,@b:user@dom") dropped, the domain lower-cased.  "" and "<>" give
 * "" (the null sender) when ALLOW_NULL, else fail.  Returns 0, or -1 when
 * IN is not user@domain (no '@', empty part, blanks, control characters,
 * quotes or too long).
 */
int addr_normalize(const char *in, char *out, size_t outlen, bool allow_null);

/* addr_qualify(): IN is a bare local part and there is no default domain. */
#define ADDR_NO_DOMAIN 1

/*
 * Like addr_normalize(IN, OUT, OUTLEN, false), but a bare local part
 * ("demo", "<demo>": how sendmail's $u and LMTP clients may name a local
 * user) is qualified with DEFAULT_DOMAIN first.  Returns 0; -1 when IN
 * is not an address; ADDR_NO_DOMAIN when it is a bare local part and
 * DEFAULT_DOMAIN is NULL or "" (OUT then holds the local part alone).
 */
int addr_qualify(const char *in, const char *default_domain, char *out, size_t outlen);

/*
 * Splits normalized ADDR at its last '@' into LOCAL (LOCAL_LEN >=
 * ADDR_LOCAL_MAX + 1) and DOMAIN (DOMAIN_LEN >= ADDR_DOMAIN_MAX + 1).
 * Returns 0, or -1 when ADDR has no '@' or a part is empty or too long.
 */
int addr_split(const char *addr, char *local, size_t local_len, char *domain,
               size_t domain_len);

/*
 * Cuts the detail off LOCAL in place: "user+work" becomes "user" and the
 * return value points at "work" (inside LOCAL's buffer).  Returns NULL
 * when there is no detail ("user", or a separator first or last).
 */
char *addr_cut_detail(char *local);

/* True when A and B are the same address ignoring ASCII case. */
bool addr_equal(const char *a, const char *b);

#endif
