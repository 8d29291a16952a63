/* Unit tests for libcommon/access_filter.c: every wildcard and pattern
 * kind, EXCEPT nesting, the guide's filter examples as allow/deny
 * decisions for concrete clients, the compact "+svc:clients$-..." form,
 * the evaluation order, lazy host-name lookups, and syntax errors with
 * their position. */
#include "access_filter.h"
#include "log.h"
#include "tap.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* A connection: the client address, what the lookup found, and the
 * local address.  HOST: NULL no name, "?" not looked up, "!name" name
 * that fails the forward check, anything else a verified name. */
struct conn {
	struct sockaddr_storage peer, local;
	struct access_client c;
};

static void set_addr(struct sockaddr_storage *ss, const char *text)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	if (inet_pton(AF_INET, text, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
	} else if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
	} else {
		fprintf(stderr, "test bug: bad address %s\n", text);
		exit(2);
	}
}

static const struct access_client *conn(struct conn *k, const char *addr,
                                        const char *host, const char *local)
{
	memset(k, 0, sizeof *k);
	if (addr != NULL) {
		set_addr(&k->peer, addr);
		k->c.peer = (const struct sockaddr *)&k->peer;
	}
	if (local != NULL) {
		set_addr(&k->local, local);
		k->c.local = (const struct sockaddr *)&k->local;
	}
	if (host == NULL) {
		k->c.host_state = ACCESS_HOST_NONAME;
	} else if (strcmp(host, "?") == 0) {
		k->c.host_state = ACCESS_HOST_UNRESOLVED;
	} else if (host[0] == '!') {
		k->c.host_state = ACCESS_HOST_MISMATCH;
		k->c.hostname = host + 1;
	} else {
		k->c.host_state = ACCESS_HOST_VERIFIED;
		k->c.hostname = host;
	}
	return &k->c;
}

static char errbuf[512];

static struct access_filters *parse(const char *const *allow, size_t na,
                                    const char *const *deny, size_t nd,
                                    const char *compact)
{
	struct access_filter_config cfg = {
		.source = "t.conf", .allow = allow, .n_allow = na,
		.deny = deny, .n_deny = nd, .compact = compact,
	};
	struct access_filters *f = access_filters_parse(&cfg, errbuf,
	                                                sizeof errbuf);
	if (f == NULL)
		diag("unexpected parse error: %s", errbuf);
	return f;
}

/* Verdict for SERVICE from ADDR/HOST (see struct conn), local unknown. */
static enum access_verdict verdict(const struct access_filters *f,
                                   const char *service, const char *addr,
                                   const char *host)
{
	struct conn k;

	if (f == NULL)
		return (enum access_verdict)-1;
	return access_check(f, service, conn(&k, addr, host, NULL), NULL);
}

/* Whether the one-filter Deny list "pop: CLIENTS" matches the client:
 * ACCESS_DENY when it does, ACCESS_ALLOW when not. */
static enum access_verdict deny1(const char *clients, const char *addr,
                                 const char *host)
{
	char text[256];
	const char *deny[] = { text };
	struct access_filters *f;
	enum access_verdict v;

	snprintf(text, sizeof text, "pop: %s", clients);
	f = parse(NULL, 0, deny, 1, NULL);
	v = verdict(f, "pop", addr, host);
	access_filters_free(f);
	return v;
}

static const char *host_desc(const char *host)
{
	return host != NULL ? host : "(no name)";
}

#define MATCH(cl, addr, host, why) \
	is_int(deny1(cl, addr, host), ACCESS_DENY, "'%s' matches %s %s: %s", \
	       cl, addr, host_desc(host), why)
#define NOMATCH(cl, addr, host, why) \
	is_int(deny1(cl, addr, host), ACCESS_ALLOW, "'%s' misses %s %s: %s", \
	       cl, addr, host_desc(host), why)
#define NEEDNAME(cl, addr, why) \
	is_int(deny1(cl, addr, "?"), ACCESS_NEED_HOSTNAME, \
	       "'%s' needs the name of %s: %s", cl, addr, why)

static void test_wildcards(void)
{
	MATCH("ALL", "192.0.2.1", NULL, "ALL matches everyone");
	MATCH("*", "2001:db8::1", "?", "* too, and needs no name");
	MATCH("all", "192.0.2.1", NULL, "wildcards ignore case");

	MATCH("LOCAL", "192.0.2.1", "mailhost", "no dot in the name");
	NOMATCH("LOCAL", "192.0.2.1", "mail.example.com", "dotted name");
	NOMATCH("LOCAL", "192.0.2.1", NULL, "no name at all");
	NEEDNAME("LOCAL", "192.0.2.1", "LOCAL looks at the name");

	MATCH("KNOWN", "192.0.2.1", "a.example.com", "name and address");
	NOMATCH("KNOWN", "192.0.2.1", NULL, "no name");
	NOMATCH("KNOWN", "192.0.2.1", "!forged.example.com",
	        "a name that fails the forward check is not known");
	NEEDNAME("KNOWN", "192.0.2.1", "KNOWN looks at the name");

	MATCH("UNKNOWN", "192.0.2.1", NULL, "no PTR name");
	MATCH("UNKNOWN", "192.0.2.1", "!forged.example.com", "unverified name");
	NOMATCH("UNKNOWN", "192.0.2.1", "a.example.com", "verified name");
	NEEDNAME("UNKNOWN", "192.0.2.1", "UNKNOWN looks at the name");

	MATCH("DNSSPOOFER", "192.0.2.1", "!forged.example.com",
	      "name does not map back to the address");
	NOMATCH("DNSSPOOFER", "192.0.2.1", "a.example.com", "verified name");
	NOMATCH("DNSSPOOFER", "192.0.2.1", NULL, "no name is no spoof");
	NEEDNAME("DNSSPOOFER", "192.0.2.1", "DNSSPOOFER looks at the name");

	MATCH("ALL@host.example.com", "192.0.2.1", "host.example.com",
	      "user part ALL holds for the (never asked) user");
	MATCH("UNKNOWN@.example.com", "192.0.2.1", "a.example.com",
	      "user part UNKNOWN holds too");
}

static void test_unknown_address(void)
{
	const char *deny_unknown[] = { "pop: UNKNOWN" };
	const char *deny_known[] = { "pop: KNOWN, 0.0.0.0/0, [::]/0" };
	struct access_filters *u = parse(NULL, 0, deny_unknown, 1, NULL);
	struct access_filters *k = parse(NULL, 0, deny_known, 1, NULL);
	struct access_client c = { .host_state = ACCESS_HOST_UNRESOLVED };
	struct sockaddr_un un = { .sun_family = AF_UNIX };

	is_int(access_check(u, "pop", &c, NULL), ACCESS_DENY,
	       "UNKNOWN matches a client without an address, needing no name");
	is_int(access_check(k, "pop", &c, NULL), ACCESS_ALLOW,
	       "KNOWN and address patterns miss a client without an address");
	c.peer = (const struct sockaddr *)&un;
	is_int(access_check(u, "pop", &c, NULL), ACCESS_DENY,
	       "a unix-socket peer has no address: UNKNOWN");
	access_filters_free(u);
	access_filters_free(k);
}

static void test_name_patterns(void)
{
	MATCH("host.example.com", "192.0.2.1", "HOST.Example.COM.",
	      "case and a trailing dot do not matter");
	NOMATCH("host.example.com", "192.0.2.1", "ohost.example.com",
	        "another name");
	NOMATCH("host.example.com", "192.0.2.1", "!host.example.com",
	        "an unverified name is never used");
	NOMATCH("host.example.com", "192.0.2.1", NULL, "no name");
	NEEDNAME("host.example.com", "192.0.2.1", "a name pattern");
	MATCH("access_server_host", "192.0.2.1", "access_server_host",
	      "underscores occur in real names");

	MATCH(".example.com", "192.0.2.1", "a.b.example.com", "domain suffix");
	MATCH(".Example.COM", "192.0.2.1", "mail.example.com", "ignores case");
	NOMATCH(".example.com", "192.0.2.1", "example.com",
	        "the domain's own name is not in it");
	NOMATCH(".example.com", "192.0.2.1", "badexample.com",
	        "suffix must start at a dot");
	NEEDNAME(".example.com", "192.0.2.1", "a domain pattern");
}

static void test_ipv4_patterns(void)
{
	MATCH("192.0.2.7", "192.0.2.7", "?", "exact address, no name needed");
	NOMATCH("192.0.2.7", "192.0.2.8", "?", "other address, no name needed");
	MATCH("192.168.", "192.168.44.3", NULL, "two-byte prefix");
	NOMATCH("192.168.", "192.169.0.1", NULL, "outside the prefix");
	MATCH("10.", "10.200.1.1", NULL, "one-byte prefix");
	MATCH("192.168.1.", "192.168.1.250", NULL, "three-byte prefix");
	NOMATCH("192.168.1.", "192.168.10.1", NULL, "prefix is by bytes");
	MATCH("192.0.2.0/255.255.255.128", "192.0.2.127", NULL,
	      "netmask: last address inside");
	NOMATCH("192.0.2.0/255.255.255.128", "192.0.2.128", NULL,
	        "netmask: first address outside");
	MATCH("10.0.0.0/8", "10.255.255.255", NULL, "CIDR /8");
	NOMATCH("10.0.0.0/8", "11.0.0.0", NULL, "CIDR /8 outside");
	MATCH("172.16.0.0/12", "172.31.0.1", NULL, "CIDR /12 (not on a byte)");
	NOMATCH("172.16.0.0/12", "172.32.0.1", NULL, "CIDR /12 outside");
	MATCH("0.0.0.0/0", "203.0.113.9", NULL, "/0 matches every IPv4");
	MATCH("10.0.0.0/8", "::ffff:10.1.2.3", NULL,
	      "IPv4-mapped IPv6 peer is matched as IPv4");
	NOMATCH("10.0.0.0/8", "2001:db8::a00:1", NULL,
	        "an IPv4 pattern misses IPv6 peers");
}

static void test_ipv6_patterns(void)
{
	MATCH("[2001:db8::]/32", "2001:db8:ffff::5", NULL, "bracketed CIDR");
	NOMATCH("[2001:db8::]/32", "2001:db9::5", NULL, "outside /32");
	MATCH("2001:db8::/32", "2001:db8::1", NULL, "bare CIDR");
	MATCH("2001:db8:0:2::/63", "2001:db8:0:3::1", NULL, "/63 inside");
	NOMATCH("2001:db8:0:2::/63", "2001:db8:0:4::1", NULL, "/63 outside");
	MATCH("::1", "::1", NULL, "bare address");
	MATCH("[::1]", "::1", "?", "bracketed address, no name needed");
	NOMATCH("[::1]", "::2", NULL, "other address");
	NOMATCH("[::]/0", "192.0.2.1", NULL, "an IPv6 pattern misses IPv4");
}

static void test_except(void)
{
	MATCH("ALL EXCEPT 10.", "11.1.1.1", NULL, "outside the exception");
	NOMATCH("ALL EXCEPT 10.", "10.1.1.1", NULL, "in the exception");
	MATCH("10. EXCEPT 10.1. EXCEPT 10.1.2.", "10.9.9.9", NULL,
	      "nested: in list1 only");
	NOMATCH("10. EXCEPT 10.1. EXCEPT 10.1.2.", "10.1.9.9", NULL,
	        "nested: in list2, not list3");
	MATCH("10. EXCEPT 10.1. EXCEPT 10.1.2.", "10.1.2.3", NULL,
	      "nested: list3 takes it back out of list2");
	NOMATCH("10., 11. EXCEPT 10.1., 11.1.", "11.1.0.1", NULL,
	        "each side is a whole list");
	MATCH(".example.com EXCEPT 10.", "192.0.2.1", "a.example.com",
	      "name list with an address exception");
	NOMATCH(".example.com EXCEPT 10.", "10.0.0.1", "?",
	        "the exception decides without the name");
	NEEDNAME(".example.com EXCEPT 10.", "192.0.2.1",
	         "outside the exception the name decides");
	NEEDNAME("10. EXCEPT .example.com", "10.0.0.1",
	         "a name in the exception needs a lookup");
	NOMATCH("10. EXCEPT .example.com", "11.0.0.1", "?",
	        "but not when the list itself misses");
}

static void test_service_lists(void)
{
	const char *deny[] = { "ALL EXCEPT pop: ALL", "smtp imap,http: 10." };
	struct access_filters *f = parse(NULL, 0, deny, N(deny), NULL);

	is_int(verdict(f, "pop", "192.0.2.1", NULL), ACCESS_ALLOW,
	       "'ALL EXCEPT pop' leaves pop alone");
	is_int(verdict(f, "imap", "192.0.2.1", NULL), ACCESS_DENY,
	       "'ALL EXCEPT pop' takes imap");
	is_int(verdict(f, "POP", "192.0.2.1", NULL), ACCESS_ALLOW,
	       "service names ignore case");
	access_filters_free(f);

	const char *deny2[] = { "smtp imap,http: 10." };
	f = parse(NULL, 0, deny2, 1, NULL);
	is_int(verdict(f, "http", "10.0.0.1", NULL), ACCESS_DENY,
	       "services separated by blanks and commas");
	is_int(verdict(f, "pop", "10.0.0.1", NULL), ACCESS_ALLOW,
	       "a service not listed is not affected");
	access_filters_free(f);
}

/* Virtual domains: the service@address form tests the local address. */
static void test_server_address(void)
{
	const char *allow[] = { "pop@192.0.2.1: .domain1.example",
	                        "pop@[2001:db8::2]: .domain2.example" };
	const char *deny[] = { "ALL: ALL" };
	struct access_filters *f = parse(allow, 2, deny, 1, NULL);
	struct conn k;

	const char *c = "198.51.100.1", *d1 = "a.domain1.example",
	           *d2 = "a.domain2.example";

	is_int(access_check(f, "pop", conn(&k, c, d1, "192.0.2.1"), NULL),
	       ACCESS_ALLOW, "virtual domain 1: its clients reach its address");
	is_int(access_check(f, "pop", conn(&k, c, d2, "192.0.2.1"), NULL),
	       ACCESS_DENY, "virtual domain 1: other domains' clients denied");
	is_int(access_check(f, "pop", conn(&k, c, d2, "2001:db8::2"), NULL),
	       ACCESS_ALLOW, "virtual domain 2 on an IPv6 address");
	is_int(access_check(f, "pop", conn(&k, c, d1, NULL), NULL), ACCESS_DENY,
	       "an unknown local address matches no server address");
	is_int(access_check(f, "pop", conn(&k, c, "?", "192.0.2.9"), NULL),
	       ACCESS_DENY, "the server address decides before any lookup");
	access_filters_free(f);
}

static void test_order(void)
{
	const char *allow[] = { "imap: 10.", "pop: 10.1. EXCEPT 10.1.1.",
	                        "pop: 10." };
	const char *deny[] = { "pop: 10.1.1.1", "pop: ALL" };
	struct access_filters *f = parse(allow, 3, deny, 2, NULL);
	struct access_decision d;
	struct conn k;

	is_int(access_check(f, "pop", conn(&k, "10.1.1.1", NULL, NULL), &d),
	       ACCESS_ALLOW, "allow filters are tried before deny filters");
	ok(d.matched && d.list == ACCESS_LIST_ALLOW && d.index == 2,
	   "the first matching allow filter (allow[2]) decides");
	is_str(d.origin, "access.allow[2]", "decision names its origin");
	is_str(d.text, "pop: 10.", "decision carries the filter text");
	access_check(f, "pop", conn(&k, "10.1.2.3", NULL, NULL), &d);
	ok(d.verdict == ACCESS_ALLOW && d.index == 1,
	   "an earlier match wins over a later one");
	is_int(access_check(f, "pop", conn(&k, "11.0.0.1", NULL, NULL), &d),
	       ACCESS_DENY, "no allow filter matches: deny filters decide");
	ok(d.matched && d.list == ACCESS_LIST_DENY && d.index == 1,
	   "the deny filter that matched is reported");
	is_int(access_check(f, "smtp", conn(&k, "11.0.0.1", NULL, NULL), &d),
	       ACCESS_ALLOW, "nothing matches: allowed");
	ok(!d.matched && d.origin == NULL && d.text == NULL,
	   "and the decision says no filter matched");
	access_filters_free(f);

	f = parse(NULL, 0, NULL, 0, NULL);
	is_int(verdict(f, "pop", "192.0.2.1", "?"), ACCESS_ALLOW,
	       "an empty set allows everyone");
	access_filters_free(f);
}

static void test_lazy_hostname(void)
{
	const char *allow[] = { "pop: 10.", "pop: .example.com" };
	const char *deny[] = { "pop: ALL" };
	struct access_filters *f = parse(allow, 2, deny, 1, NULL);
	struct access_decision d;
	struct conn k;

	is_int(verdict(f, "pop", "10.0.0.1", "?"), ACCESS_ALLOW,
	       "an address filter before the name filter decides: no lookup");
	is_int(access_check(f, "pop", conn(&k, "192.0.2.1", "?", NULL), &d),
	       ACCESS_NEED_HOSTNAME, "a name filter could decide: ask for it");
	ok(!d.matched && d.origin && strcmp(d.origin, "access.allow[1]") == 0,
	   "need_hostname names the filter that needs it");
	is_int(verdict(f, "pop", "192.0.2.1", "m.example.com"), ACCESS_ALLOW,
	       "after the lookup: a name in the domain is allowed");
	is_int(verdict(f, "pop", "192.0.2.1", NULL), ACCESS_DENY,
	       "after a failed lookup: denied");
	is_int(verdict(f, "imap", "192.0.2.1", "?"), ACCESS_ALLOW,
	       "another service never needs the name");
	is_str(access_verdict_name(ACCESS_NEED_HOSTNAME), "need_hostname",
	       "verdict names for logs");
	access_filters_free(f);
}

/* ---- the guide's examples ------------------------------------------- */

static void test_guide_syntax_examples(void)
{
	const char *simple[] = { "imap: host1.example.com", "pop: ALL",
	                         "http: ALL" };
	struct access_filters *f = parse(NULL, 0, simple, 3, NULL);
	is_int(verdict(f, "imap", "192.0.2.1", "host1.example.com"),
	       ACCESS_DENY, "simple deny filters: the named host loses IMAP");
	is_int(verdict(f, "imap", "192.0.2.2", "host2.example.com"),
	       ACCESS_ALLOW, "simple deny filters: other hosts keep IMAP");
	is_int(verdict(f, "pop", "192.0.2.2", NULL), ACCESS_DENY,
	       "simple deny filters: POP denied to all");
	access_filters_free(f);

	const char *many[] = {
		"pop, imap, http: .europe.example.com .newyork.example.com" };
	const char *all[] = { "ALL: ALL" };
	f = parse(many, 1, all, 1, NULL);
	is_int(verdict(f, "http", "192.0.2.1", "w.europe.example.com"),
	       ACCESS_ALLOW, "service list: europe gets http");
	is_int(verdict(f, "pop", "192.0.2.1", "w.newyork.example.com"),
	       ACCESS_ALLOW, "service list: new york gets pop");
	is_int(verdict(f, "imap", "192.0.2.1", "w.asia.example.com"),
	       ACCESS_DENY, "service list: other domains fall to the deny");
	is_int(verdict(f, "smtp", "192.0.2.1", "w.europe.example.com"),
	       ACCESS_DENY, "service list: unlisted services fall to the deny");
	access_filters_free(f);

	const char *except[] = { "ALL: ALL EXCEPT isserver.example.com" };
	f = parse(NULL, 0, except, 1, NULL);
	is_int(verdict(f, "imap", "192.0.2.1", "isserver.example.com"),
	       ACCESS_ALLOW, "EXCEPT example: the excepted host is let in");
	is_int(verdict(f, "imap", "192.0.2.2", "other.example.com"),
	       ACCESS_DENY, "EXCEPT example: everyone else is denied");
	access_filters_free(f);
}

static void test_guide_compact_examples(void)
{
	struct access_filters *f = parse(NULL, 0, NULL, 0,
	                                 "-imap:*$-pop:*$-http:*");
	is_int(verdict(f, "imap", "192.0.2.1", NULL), ACCESS_DENY,
	       "compact: -imap:* denies imap");
	is_int(verdict(f, "http", "192.0.2.1", NULL), ACCESS_DENY,
	       "compact: -http:* denies http");
	is_int(verdict(f, "smtp", "192.0.2.1", NULL), ACCESS_ALLOW,
	       "compact: smtp is not named");
	access_filters_free(f);

	const char *all[] = { "ALL: ALL" };
	f = parse(NULL, 0, all, 1, "+imap,pop,http:*");
	is_int(verdict(f, "pop", "192.0.2.1", NULL), ACCESS_ALLOW,
	       "compact: +imap,pop,http:* allows pop to everyone");
	is_int(verdict(f, "smtp", "192.0.2.1", NULL), ACCESS_DENY,
	       "compact: ... and nothing else past the deny");
	access_filters_free(f);

	f = parse(NULL, 0, all, 1, "+imap:ALL$+pop:ALL$+http:ALL");
	is_int(verdict(f, "http", "192.0.2.1", NULL), ACCESS_ALLOW,
	       "compact: one rule per service");
	access_filters_free(f);

	/* Webmail: IMAP only from the access servers. */
	f = parse(NULL, 0, NULL, 0,
	          "+imap:access_server_host, access_server_host2$-imap:ALL");
	is_int(verdict(f, "imap", "192.0.2.5", "access_server_host2"),
	       ACCESS_ALLOW, "webmail: the access server may use IMAP");
	is_int(verdict(f, "imap", "192.0.2.6", "desktop.example.com"),
	       ACCESS_DENY, "webmail: a desktop may not");
	is_int(verdict(f, "http", "192.0.2.6", "desktop.example.com"),
	       ACCESS_ALLOW, "webmail: but may use http");
	access_filters_free(f);
}

static void test_guide_mostly_denying(void)
{
	const char *allow[] = {
		"ALL: LOCAL",
		"ALL: .example.com EXCEPT untrusted.example.com",
	};
	const char *deny[] = { "ALL: ALL" };
	struct access_filters *f = parse(allow, 2, deny, 1, NULL);

	is_int(verdict(f, "pop", "192.0.2.1", "mailhub"), ACCESS_ALLOW,
	       "mostly denying: a local (dotless) host is allowed");
	is_int(verdict(f, "imap", "192.0.2.2", "pc.example.com"), ACCESS_ALLOW,
	       "mostly denying: a host in the domain is allowed");
	is_int(verdict(f, "imap", "192.0.2.3", "untrusted.example.com"),
	       ACCESS_DENY, "mostly denying: the excepted host is denied");
	is_int(verdict(f, "imap", "198.51.100.1", "pc.example.net"),
	       ACCESS_DENY, "mostly denying: anyone else is denied");
	is_int(verdict(f, "imap", "198.51.100.1", NULL), ACCESS_DENY,
	       "mostly denying: a host without a name is denied");
	access_filters_free(f);
}

static void test_guide_mostly_allowing(void)
{
	const char *deny[] = {
		"ALL: some.host.example, .some.domain.example",
		"ALL EXCEPT pop: other.host.example, .other.domain.example" };
	struct access_filters *f = parse(NULL, 0, deny, 2, NULL);

	is_int(verdict(f, "pop", "192.0.2.1", "some.host.example"), ACCESS_DENY,
	       "mostly allowing: the listed host gets nothing");
	is_int(verdict(f, "imap", "192.0.2.1", "x.some.domain.example"),
	       ACCESS_DENY, "mostly allowing: the listed domain gets nothing");
	is_int(verdict(f, "pop", "192.0.2.1", "x.other.domain.example"),
	       ACCESS_ALLOW, "mostly allowing: the second domain keeps POP");
	is_int(verdict(f, "imap", "192.0.2.1", "other.host.example"),
	       ACCESS_DENY, "mostly allowing: ... and nothing else");
	is_int(verdict(f, "imap", "192.0.2.1", "friend.example.org"),
	       ACCESS_ALLOW, "mostly allowing: everyone else gets everything");
	access_filters_free(f);
}

static void test_guide_spoofer_and_virtual(void)
{
	const char *spoof[] = { "ALL: DNSSPOOFER" };
	struct access_filters *f = parse(NULL, 0, spoof, 1, NULL);
	is_int(verdict(f, "imap", "192.0.2.1", "!www.example.com"), ACCESS_DENY,
	       "spoofer example: a name that does not map back is denied");
	is_int(verdict(f, "imap", "192.0.2.1", "www.example.com"), ACCESS_ALLOW,
	       "spoofer example: an honest name is allowed");
	access_filters_free(f);

	const char *allow[] = { "ALL@192.0.2.1: .domain1.example",
	                        "ALL@192.0.2.2: .domain2.example",
	                        "ALL@192.0.2.3: .domain3.example" };
	const char *deny[] = { "ALL: ALL" };
	struct conn k;
	f = parse(allow, 3, deny, 1, NULL);
	const char *c = "198.51.100.7", *d3 = "h.domain3.example";
	is_int(access_check(f, "imap", conn(&k, c, d3, "192.0.2.3"), NULL),
	       ACCESS_ALLOW, "virtual domains: domain3 reaches 192.0.2.3");
	is_int(access_check(f, "imap", conn(&k, c, d3, "192.0.2.1"), NULL),
	       ACCESS_DENY, "virtual domains: domain3 may not reach 192.0.2.1");
	access_filters_free(f);
}

static void test_compact_form(void)
{
	const char *allow[] = { "pop: 10." };
	struct access_filters *f = parse(allow, 1, NULL, 0,
	                                 " -pop: 10.,11. $ +pop:11.1. ");
	struct access_decision d;
	struct conn k;

	is_int(access_check(f, "pop", conn(&k, "11.1.0.1", NULL, NULL), &d),
	       ACCESS_ALLOW, "'+' rules are allow filters, tried before '-'");
	is_str(d.origin, "access.rules[1]", "compact rules are numbered");
	is_str(d.text, "+pop:11.1.", "compact rule text keeps its sign");
	ok(d.list == ACCESS_LIST_ALLOW && d.index == 1,
	   "compact '+' rules follow access.allow");
	is_int(access_check(f, "pop", conn(&k, "11.2.0.1", NULL, NULL), &d),
	       ACCESS_DENY, "'-' rules are deny filters");
	is_str(d.origin, "access.rules[0]", "the deny rule is rule 0");
	is_int(verdict(f, "pop", "10.0.0.1", NULL), ACCESS_ALLOW,
	       "access.allow entries come first");
	access_filters_free(f);

	f = parse(NULL, 0, NULL, 0, "  ");
	is_int(verdict(f, "pop", "10.0.0.1", NULL), ACCESS_ALLOW,
	       "a blank compact string holds no rules");
	access_filters_free(f);
}

/* ---- syntax errors ---------------------------------------------------- */

struct bad {
	const char *text;
	const char *error;
};

static const struct bad bad_allow[] = {
	{ "", "t.conf: access.allow[0] col 1: empty filter" },
	{ ": ALL", "t.conf: access.allow[0] col 1: empty service list" },
	{ "pop imap ALL", "t.conf: access.allow[0] col 13: "
	  "expected ':' after service list" },
	{ "pop:", "t.conf: access.allow[0] col 5: empty client list" },
	{ "pop: ALL EXCEPT", "t.conf: access.allow[0] col 10: "
	  "EXCEPT with no client after it" },
	{ "pop: EXCEPT 10.", "t.conf: access.allow[0] col 6: "
	  "EXCEPT with no client before it" },
	{ "ALL EXCEPT: 10.", "t.conf: access.allow[0] col 5: "
	  "EXCEPT with no service after it" },
	{ "pop: 10. EXCEPT EXCEPT 11.", "t.conf: access.allow[0] col 17: "
	  "EXCEPT with no client before it" },
	{ "pop: 10.0.0.0/255.0.255.0", "t.conf: access.allow[0] col 6: "
	  "bad netmask in '10.0.0.0/255.0.255.0' (four numbers 0-255 whose "
	  "one bits come first)" },
	{ "pop: 10.0.0.0/33", "t.conf: access.allow[0] col 6: "
	  "bad prefix length in '10.0.0.0/33' (IPv4 takes 0 to 32)" },
	{ "pop: 10.0.0.0/", "t.conf: access.allow[0] col 6: "
	  "bad prefix length in '10.0.0.0/' (IPv4 takes 0 to 32)" },
	{ "pop: [2001:db8::]/129", "t.conf: access.allow[0] col 6: "
	  "bad prefix length in '[2001:db8::]/129' (IPv6 takes 0 to 128)" },
	{ "pop: 10.0.0.1/8", "t.conf: access.allow[0] col 6: "
	  "'10.0.0.1/8' has address bits set past its mask" },
	{ "pop: 192.0.2.1/255.255.255.0", "t.conf: access.allow[0] col 6: "
	  "'192.0.2.1/255.255.255.0' has address bits set past its mask" },
	{ "pop: 300.1.2.3", "t.conf: access.allow[0] col 6: bad IPv4 address "
	  "'300.1.2.3' (an address prefix ends with a dot, as in '10.1.')" },
	{ "pop: 10.1", "t.conf: access.allow[0] col 6: bad IPv4 address "
	  "'10.1' (an address prefix ends with a dot, as in '10.1.')" },
	{ "pop: 1.2.3.4.", "t.conf: access.allow[0] col 6: bad address prefix "
	  "'1.2.3.4.' (one to three numbers 0-255, each followed by a dot)" },
	{ "pop: 2001:db8::zz", "t.conf: access.allow[0] col 6: "
	  "bad IPv6 address '2001:db8::zz'" },
	{ "pop: [::1", "t.conf: access.allow[0] col 6: bad IPv6 address "
	  "'[::1': '[' needs a ']', followed by nothing or a /length" },
	{ "pop: ALLL", "t.conf: access.allow[0] col 6: unknown wildcard 'ALLL' "
	  "(ALL, *, LOCAL, KNOWN, UNKNOWN, DNSSPOOFER; write host names in "
	  "lower case)" },
	{ "pop: PARANOID", "t.conf: access.allow[0] col 6: unknown wildcard "
	  "'PARANOID' (ALL, *, LOCAL, KNOWN, UNKNOWN, DNSSPOOFER; write host "
	  "names in lower case)" },
	{ "pop: host..example.com", "t.conf: access.allow[0] col 6: host name "
	  "'host..example.com' has an empty or over-long label" },
	{ "pop: host.example.com.", "t.conf: access.allow[0] col 6: "
	  "'host.example.com.': a trailing dot marks an address prefix; write "
	  "host names without it" },
	{ "pop: *.example.com", "t.conf: access.allow[0] col 6: bad character "
	  "0x2a in host name '*.example.com'" },
	{ "ALL: LOCAL @netgroup1", "t.conf: access.allow[0] col 12: "
	  "NIS netgroups ('@netgroup1') are not supported" },
	{ "imap: srashad@xyz.example.com", "t.conf: access.allow[0] col 7: "
	  "user 'srashad': ems does not ask the client's ident (RFC 1413) "
	  "service, so a user part can only be ALL or UNKNOWN" },
	{ "pop: ALL@", "t.conf: access.allow[0] col 10: "
	  "host missing after '@'" },
	{ "LOCAL: ALL", "t.conf: access.allow[0] col 1: LOCAL is a client "
	  "wildcard; services are named, or ALL" },
	{ "p%p: ALL", "t.conf: access.allow[0] col 2: bad character 0x25 in "
	  "service name 'p%p'" },
	{ "smtp@mail.example.com: ALL", "t.conf: access.allow[0] col 6: "
	  "server 'mail.example.com' after '@' must be an address or network, "
	  "not a name" },
	{ "@192.0.2.1: ALL", "t.conf: access.allow[0] col 1: "
	  "service name missing before '@'" },
	{ "-imap: ALL", "t.conf: access.allow[0] col 1: a rule starting with "
	  "'+' or '-' belongs in access.rules" },
};

static const struct bad bad_compact[] = {
	{ "+pop:ALL$$-imap:ALL", "t.conf: access.rules col 10: empty rule" },
	{ "+pop:ALL$", "t.conf: access.rules col 10: empty rule" },
	{ "+pop:ALL$imap:ALL", "t.conf: access.rules col 10: "
	  "a rule starts with '+' (allow) or '-' (deny)" },
	{ "+pop:ALL$-imap:", "t.conf: access.rules col 16: empty client list" },
	{ "+pop:ALL$-imap 10.", "t.conf: access.rules col 19: "
	  "expected ':' after service list" },
};

static void test_syntax_errors(void)
{
	for (size_t i = 0; i < N(bad_allow); i++) {
		struct access_filter_config cfg = {
			.source = "t.conf", .allow = &bad_allow[i].text,
			.n_allow = 1,
		};
		struct access_filters *f = access_filters_parse(&cfg, errbuf,
		                                                sizeof errbuf);
		ok(f == NULL, "refused: %s", bad_allow[i].text);
		is_str(errbuf, bad_allow[i].error, "message for: %s",
		       bad_allow[i].text);
		access_filters_free(f);
	}
	for (size_t i = 0; i < N(bad_compact); i++) {
		struct access_filter_config cfg = {
			.source = "t.conf", .compact = bad_compact[i].text,
		};
		struct access_filters *f = access_filters_parse(&cfg, errbuf,
		                                                sizeof errbuf);
		ok(f == NULL, "refused compact: %s", bad_compact[i].text);
		is_str(errbuf, bad_compact[i].error, "message for compact: %s",
		       bad_compact[i].text);
		access_filters_free(f);
	}
}

static void test_error_context(void)
{
	const char *allow[] = { "pop: ALL" };
	const char *deny[] = { "imap: 10.", "imap:   .example.com  EXCEPT" };
	const char *services[] = { "pop", "imap", NULL };
	const char *typo[] = { "pop, imapp: ALL" };
	struct access_filter_config cfg = {
		.source = "ems.conf", .allow = allow, .n_allow = 1,
		.deny = deny, .n_deny = 2,
	};
	static char longtext[ACCESS_FILTER_MAX_TEXT + 16];

	ok(access_filters_parse(&cfg, errbuf, sizeof errbuf) == NULL,
	   "one bad entry refuses the whole set");
	is_str(errbuf, "ems.conf: access.deny[1] col 23: EXCEPT with no client "
	       "after it", "message names the list, entry and column");

	cfg = (struct access_filter_config){ .source = "ems.conf",
	                                     .allow = typo, .n_allow = 1,
	                                     .services = services };
	ok(access_filters_parse(&cfg, errbuf, sizeof errbuf) == NULL,
	   "a service outside the known list is refused");
	is_str(errbuf, "ems.conf: access.allow[0] col 6: unknown service "
	       "'imapp'", "unknown service message");
	cfg.allow = allow;
	struct access_filters *f = access_filters_parse(&cfg, errbuf,
	                                                sizeof errbuf);
	ok(f != NULL, "known services are accepted");
	access_filters_free(f);

	memset(longtext, ' ', sizeof longtext - 1);
	memcpy(longtext, "pop: ALL", 8);
	const char *lp = longtext;
	cfg = (struct access_filter_config){ .source = "ems.conf", .allow = &lp,
	                                     .n_allow = 1 };
	ok(access_filters_parse(&cfg, errbuf, sizeof errbuf) == NULL &&
	   strstr(errbuf, "filter longer than 4096 bytes") != NULL,
	   "an over-long filter is refused");
	char small[16];
	const char *bad = "pop";
	cfg = (struct access_filter_config){ .allow = &bad, .n_allow = 1 };
	ok(access_filters_parse(&cfg, small, sizeof small) == NULL &&
	   strlen(small) == sizeof small - 1,
	   "the message is cut to the caller's buffer");
}

static void test_error_logged(const char *dir)
{
	char path[512], line[1024];
	const char *bad[] = { "pop: 10.0.0.0/40" };
	struct access_filter_config cfg = { .source = "ems.conf", .allow = bad,
	                                    .n_allow = 1 };
	FILE *fp;
	bool found = false;

	log_open("test", "iolistener", 0, dir, LOG_LVL_INFO, false);
	access_filters_parse(&cfg, errbuf, sizeof errbuf);
	snprintf(path, sizeof path, "%s", log_path() ? log_path() : "");
	log_close();
	fp = fopen(path, "r");
	while (fp != NULL && fgets(line, sizeof line, fp) != NULL)
		found |= strstr(line, "event=access_filter_invalid "
		                "source=ems.conf filter=access.allow[0] col=6 "
		                "reason=") != NULL;
	if (fp != NULL)
		fclose(fp);
	ok(found, "a syntax error is logged with its place");
}

int main(void)
{
	test_error_logged(tap_tmpdir());
	log_open("test", "iolistener", 0, tap_tmpdir(), LOG_LVL_INFO, false);
	test_wildcards();
	test_unknown_address();
	test_name_patterns();
	test_ipv4_patterns();
	test_ipv6_patterns();
	test_except();
	test_service_lists();
	test_server_address();
	test_order();
	test_lazy_hostname();
	test_guide_syntax_examples();
	test_guide_compact_examples();
	test_guide_mostly_denying();
	test_guide_mostly_allowing();
	test_guide_spoofer_and_virtual();
	test_compact_form();
	test_syntax_errors();
	test_error_context();
	log_close();
	done_testing();
	return exit_status();
}
