/*
 * access_filter.c - parses the Allow/Deny access filters of ems.conf into
 * pattern lists and decides, for one connection, whether a service may
 * be used (see access_filter.h).  Used by the iolistener before it hands
 * a socket to a worker.  No I/O and no DNS here: host-name patterns are
 * decided on a name the caller has looked up and verified already.
 */
#include "access_filter.h"
#include "log.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longest single word of a filter: room for a 253-byte host name. */
#define TOKEN_MAX 256
#define SERVICE_NAME_MAX 32
#define HOST_NAME_MAX_LEN 253
#define HOST_LABEL_MAX 63
/* Room for "access.rules[4095]" and the like. */
#define ORIGIN_MAX 48
#define REASON_MAX 512
/* A token quoted in a message is cut to this many bytes. */
#define QUOTE_MAX 80

#define ALLOW_KEY "access.allow"
#define DENY_KEY "access.deny"
#define COMPACT_KEY "access.rules"

/* An address with the number of leading bits that must match. */
struct net {
	int family;                 /* AF_INET or AF_INET6 */
	unsigned char addr[16];     /* network byte order; 4 used for IPv4 */
	unsigned prefix;
};

enum pattern_kind {
	PAT_ALL,         /* ALL or *; in a service list, any service */
	PAT_LOCAL,       /* host name without a dot */
	PAT_KNOWN,       /* name and address known */
	PAT_UNKNOWN,     /* name or address unknown */
	PAT_DNSSPOOFER,  /* name does not resolve back to the address */
	PAT_HOSTNAME,    /* one host name */
	PAT_DOMAIN,      /* ".example.com": names ending in it */
	PAT_NET,         /* address, prefix "10.1.", netmask or CIDR */
	PAT_SERVICE,     /* a service name */
};

struct pattern {
	enum pattern_kind kind;
	char *name;      /* PAT_HOSTNAME, PAT_DOMAIN, PAT_SERVICE: lower case */
	struct net net;  /* PAT_NET; for services, the server address */
	bool has_net;    /* service patterns: "service@address" */
};

/* "a b EXCEPT c d EXCEPT e": matches when an item matches and the
 * EXCEPT list (built the same way, so nesting groups to the right)
 * does not. */
struct plist {
	struct pattern *items;
	size_t n, cap;
	struct plist *except;
};

struct filter {
	char *origin;            /* "access.allow[2]" */
	char *text;              /* as written, trimmed */
	struct plist *services;
	struct plist *clients;
};

struct filter_vec {
	struct filter *v;
	size_t n, cap;
};

struct access_filters {
	struct filter_vec lists[2];   /* indexed by enum access_list */
};

/* A match when the host name may not be looked up yet. */
enum tri { TRI_NO, TRI_YES, TRI_MAYBE };

struct parser {
	const char *source;
	char origin[ORIGIN_MAX];      /* entry being parsed, for messages */
	char label[ORIGIN_MAX];       /* name the filter keeps for logs */
	const char *text;             /* where columns count from */
	const char *const *services;
	char *err;
	size_t errlen;
};

struct token {
	const char *p;
	size_t len;
};

/* printf arguments for "%.*s" showing a token, cut to QUOTE_MAX. */
#define TOK(t) (int)((t).len < QUOTE_MAX ? (t).len : QUOTE_MAX), (t).p

static const struct {
	const char *word;
	enum pattern_kind kind;
} wildcards[] = {
	{ "ALL", PAT_ALL },
	{ "*", PAT_ALL },
	{ "LOCAL", PAT_LOCAL },
	{ "KNOWN", PAT_KNOWN },
	{ "UNKNOWN", PAT_UNKNOWN },
	{ "DNSSPOOFER", PAT_DNSSPOOFER },
};

/* ---- errors ---------------------------------------------------------- */

static void report(struct parser *p, long col, const char *reason)
{
	if (p->errlen > 0)
		snprintf(p->err, p->errlen, "%s: %s col %ld: %s", p->source,
		         p->origin, col, reason);
	log_warn("access_filter_invalid",
	         "source=%s filter=%s col=%ld reason=%s", log_quote(p->source),
	         log_quote(p->origin), col, log_quote(reason));
}

static void syntax_error(struct parser *p, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void syntax_error(struct parser *p, const char *at, const char *fmt, ...)
{
	char reason[REASON_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	report(p, (long)(at - p->text) + 1, reason);
}

static void out_of_memory(struct parser *p)
{
	if (p->errlen > 0)
		snprintf(p->err, p->errlen, "%s: %s: out of memory", p->source,
		         p->origin);
	log_error("access_filter_nomem", "source=%s filter=%s",
	          log_quote(p->source), log_quote(p->origin));
}

/* ---- small helpers ---------------------------------------------------- */

static bool is_sep(char c)
{
	return c == ',' || isspace((unsigned char)c);
}

/* Next word of [*pos, end), words being separated by blanks and commas. */
static bool next_token(const char **pos, const char *end, struct token *t)
{
	const char *s = *pos;

	while (s < end && is_sep(*s))
		s++;
	if (s == end)
		return false;
	t->p = s;
	while (s < end && !is_sep(*s))
		s++;
	t->len = (size_t)(s - t->p);
	*pos = s;
	return true;
}

static bool token_is(struct token t, const char *word)
{
	return strlen(word) == t.len && strncasecmp(t.p, word, t.len) == 0;
}

/* The wildcard T names, or -1. */
static int wildcard_kind(struct token t)
{
	for (size_t i = 0; i < sizeof wildcards / sizeof wildcards[0]; i++)
		if (token_is(t, wildcards[i].word))
			return (int)wildcards[i].kind;
	return -1;
}

/* Copies T into BUF (TOKEN_MAX bytes) as a C string. */
static int token_copy(struct parser *p, struct token t, char *buf)
{
	if (t.len >= TOKEN_MAX) {
		syntax_error(p, t.p, "'%.*s...' is too long", TOK(t));
		return -1;
	}
	memcpy(buf, t.p, t.len);
	buf[t.len] = '\0';
	return 0;
}

static char *lower_dup(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		d[i] = (char)tolower((unsigned char)s[i]);
	d[n] = '\0';
	return d;
}

/* Parses 1-3 decimal digits no greater than MAX. */
static int parse_number(const char *s, unsigned max, unsigned *out)
{
	size_t n = strlen(s);
	unsigned v = 0;

	if (n == 0 || n > 3)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

static size_t net_bytes(const struct net *n)
{
	return n->family == AF_INET ? 4 : 16;
}

/* True when the first PREFIX bits of A's network equal those of ADDR. */
static bool net_contains(const struct net *a, const struct net *addr)
{
	size_t full = a->prefix / 8;
	unsigned rest = a->prefix % 8;

	if (a->family != addr->family)
		return false;
	if (memcmp(a->addr, addr->addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (a->addr[full] & mask) == (addr->addr[full] & mask);
}

/* ---- addresses -------------------------------------------------------- */

/* Refuses "10.0.0.1/8": bits past the mask would make the pattern
 * match nothing, which is surely not what was meant. */
static int check_host_bits(struct parser *p, struct token t,
                           const struct net *n)
{
	for (size_t bit = n->prefix; bit < net_bytes(n) * 8; bit++) {
		if (n->addr[bit / 8] & (0x80 >> (bit % 8))) {
			syntax_error(p, t.p, "'%.*s' has address bits set "
			             "past its mask", TOK(t));
			return -1;
		}
	}
	return 0;
}

/* "[2001:db8::1]", "[2001:db8::]/32", "2001:db8::/32", "::1". */
static int parse_ipv6(struct parser *p, struct token t, char *buf,
                      struct net *n)
{
	char *addr = buf, *len = NULL;

	if (buf[0] == '[') {
		char *close = strchr(buf, ']');
		if (close == NULL || (close[1] != '\0' && close[1] != '/')) {
			syntax_error(p, t.p, "bad IPv6 address '%.*s': '[' "
			             "needs a ']', followed by nothing or a "
			             "/length", TOK(t));
			return -1;
		}
		addr = buf + 1;
		if (close[1] == '/')
			len = close + 2;
		*close = '\0';
	} else if ((len = strchr(buf, '/')) != NULL) {
		*len++ = '\0';
	}
	n->family = AF_INET6;
	n->prefix = 128;
	if (inet_pton(AF_INET6, addr, n->addr) != 1) {
		syntax_error(p, t.p, "bad IPv6 address '%.*s'", TOK(t));
		return -1;
	}
	if (len != NULL && parse_number(len, 128, &n->prefix) != 0) {
		syntax_error(p, t.p, "bad prefix length in '%.*s' (IPv6 takes "
		             "0 to 128)", TOK(t));
		return -1;
	}
	return check_host_bits(p, t, n);
}

/* Prefix length of a contiguous netmask, or -1. */
static int mask_prefix(const unsigned char m[4])
{
	uint32_t mask = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 |
	                (uint32_t)m[2] << 8 | m[3];
	uint32_t host = ~mask;

	if ((host & (host + 1)) != 0)
		return -1;
	return __builtin_popcount(mask);
}

/* "192.168.0.0/255.255.0.0" or "192.168.0.0/16". */
static int parse_ipv4_net(struct parser *p, struct token t, char *buf,
                          struct net *n)
{
	char *mask = strchr(buf, '/');
	unsigned char m[4];

	*mask++ = '\0';
	n->family = AF_INET;
	if (inet_pton(AF_INET, buf, n->addr) != 1) {
		syntax_error(p, t.p, "bad IPv4 network '%.*s'", TOK(t));
		return -1;
	}
	if (strchr(mask, '.') != NULL) {
		int len = inet_pton(AF_INET, mask, m) == 1 ? mask_prefix(m)
		                                           : -1;
		if (len < 0) {
			syntax_error(p, t.p, "bad netmask in '%.*s' (four "
			             "numbers 0-255 whose one bits come first)",
			             TOK(t));
			return -1;
		}
		n->prefix = (unsigned)len;
	} else if (parse_number(mask, 32, &n->prefix) != 0) {
		syntax_error(p, t.p, "bad prefix length in '%.*s' (IPv4 takes "
		             "0 to 32)", TOK(t));
		return -1;
	}
	return check_host_bits(p, t, n);
}

/* "10." or "192.168." or "192.168.1.": the leading bytes of an address. */
static int parse_ipv4_prefix(struct parser *p, struct token t, char *buf,
                             struct net *n)
{
	unsigned count = 0, v;
	char *s = buf;

	n->family = AF_INET;
	memset(n->addr, 0, sizeof n->addr);
	while (*s != '\0') {
		char *dot = strchr(s, '.');
		*dot = '\0';
		if (count == 3 || parse_number(s, 255, &v) != 0) {
			syntax_error(p, t.p, "bad address prefix '%.*s' "
			             "(one to three numbers 0-255, each "
			             "followed by a dot)", TOK(t));
			return -1;
		}
		n->addr[count++] = (unsigned char)v;
		s = dot + 1;
	}
	n->prefix = count * 8;
	return 0;
}

/*
 * Parses the address forms: IPv4 or IPv6 address, trailing-dot prefix,
 * netmask, CIDR.  Returns 0 with N filled, -1 after a syntax error, or 1
 * when T is no address form (a name, say).
 */
static int parse_address_pattern(struct parser *p, struct token t, char *buf,
                                 struct net *n)
{
	if (buf[0] == '[' || strchr(buf, ':') != NULL)
		return parse_ipv6(p, t, buf, n);
	if (strspn(buf, "0123456789./") != t.len)
		return 1;
	if (strchr(buf, '/') != NULL)
		return parse_ipv4_net(p, t, buf, n);
	if (buf[t.len - 1] == '.')
		return parse_ipv4_prefix(p, t, buf, n);
	n->family = AF_INET;
	n->prefix = 32;
	if (inet_pton(AF_INET, buf, n->addr) != 1) {
		syntax_error(p, t.p, "bad IPv4 address '%.*s' (an address "
		             "prefix ends with a dot, as in '10.1.')", TOK(t));
		return -1;
	}
	return 0;
}

/* ---- names ------------------------------------------------------------ */

static bool looks_like_wildcard(const char *s)
{
	size_t n = strlen(s);

	return n >= 2 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") == n;
}

/* Checks NAME (the host name in token T) label by label. */
static int check_host_name(struct parser *p, struct token t, const char *name)
{
	size_t n = strlen(name), label = 0;

	if (n > HOST_NAME_MAX_LEN) {
		syntax_error(p, t.p, "host name '%.*s' is longer than %d bytes",
		             TOK(t), HOST_NAME_MAX_LEN);
		return -1;
	}
	if (n > 0 && name[n - 1] == '.') {
		syntax_error(p, t.p, "'%.*s': a trailing dot marks an address "
		             "prefix; write host names without it", TOK(t));
		return -1;
	}
	for (size_t i = 0; i <= n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == '.' || c == '\0') {
			if (label == 0 || label > HOST_LABEL_MAX) {
				syntax_error(p, t.p, "host name '%.*s' has "
				             "an empty or over-long label",
				             TOK(t));
				return -1;
			}
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			label++;
		} else {
			syntax_error(p, t.p, "bad character 0x%02x in host "
			             "name '%.*s'", c, TOK(t));
			return -1;
		}
	}
	return 0;
}

/* A client host pattern that is not a wildcard: address form, domain
 * suffix or host name. */
static int parse_host(struct parser *p, struct token t, struct pattern *pat)
{
	char buf[TOKEN_MAX];
	int r;

	if (token_copy(p, t, buf) != 0)
		return -1;
	r = parse_address_pattern(p, t, buf, &pat->net);
	if (r <= 0) {
		pat->kind = PAT_NET;
		return r;
	}
	if (buf[0] != '.' && looks_like_wildcard(buf)) {
		syntax_error(p, t.p, "unknown wildcard '%.*s' (ALL, *, LOCAL, "
		             "KNOWN, UNKNOWN, DNSSPOOFER; write host names in "
		             "lower case)", TOK(t));
		return -1;
	}
	if (check_host_name(p, t, buf[0] == '.' ? buf + 1 : buf) != 0)
		return -1;
	pat->kind = buf[0] == '.' ? PAT_DOMAIN : PAT_HOSTNAME;
	pat->name = lower_dup(buf, t.len);
	if (pat->name == NULL) {
		out_of_memory(p);
		return -1;
	}
	return 0;
}

/* One client: wildcard, host pattern, or "user@host" whose user can only
 * be a wildcard that holds for an unknown user, since ems makes no
 * RFC 1413 (ident) queries. */
static int parse_client(struct parser *p, struct token t, struct pattern *pat)
{
	const char *at = memchr(t.p, '@', t.len);

	if (at == t.p) {
		syntax_error(p, t.p, "NIS netgroups ('%.*s') are not supported",
		             TOK(t));
		return -1;
	}
	if (at != NULL) {
		struct token user = { t.p, (size_t)(at - t.p) };
		int w = wildcard_kind(user);
		if (w != PAT_ALL && w != PAT_UNKNOWN) {
			syntax_error(p, t.p, "user '%.*s': ems does not "
			             "ask the client's ident (RFC 1413) "
			             "service, so a user part can only be ALL "
			             "or UNKNOWN", TOK(user));
			return -1;
		}
		t.len -= user.len + 1;
		t.p = at + 1;
		if (t.len == 0) {
			syntax_error(p, t.p, "host missing after '@'");
			return -1;
		}
	}
	int w = wildcard_kind(t);
	if (w >= 0) {
		pat->kind = (enum pattern_kind)w;
		return 0;
	}
	return parse_host(p, t, pat);
}

/* ---- services --------------------------------------------------------- */

static int parse_service_name(struct parser *p, struct token t,
                              struct pattern *pat)
{
	bool known = p->services == NULL;

	for (size_t i = 0; i < t.len; i++) {
		unsigned char c = (unsigned char)t.p[i];
		if (!isalnum(c) && c != '-' && c != '_') {
			syntax_error(p, t.p + i, "bad character 0x%02x in "
			             "service name '%.*s'", c, TOK(t));
			return -1;
		}
	}
	if (t.len > SERVICE_NAME_MAX) {
		syntax_error(p, t.p, "service name '%.*s' is too long", TOK(t));
		return -1;
	}
	for (size_t i = 0; !known && p->services[i] != NULL; i++)
		known = token_is(t, p->services[i]);
	if (!known) {
		syntax_error(p, t.p, "unknown service '%.*s'", TOK(t));
		return -1;
	}
	pat->kind = PAT_SERVICE;
	pat->name = lower_dup(t.p, t.len);
	if (pat->name == NULL) {
		out_of_memory(p);
		return -1;
	}
	return 0;
}

/* "@address" after a service: the local address the client reached.
 * Only address forms: the server's own name would take a lookup too. */
static int parse_server(struct parser *p, struct token t, struct pattern *pat)
{
	char buf[TOKEN_MAX];
	int r;

	if (t.len == 0) {
		syntax_error(p, t.p, "server address missing after '@'");
		return -1;
	}
	if (wildcard_kind(t) == PAT_ALL)
		return 0;
	if (token_copy(p, t, buf) != 0)
		return -1;
	r = parse_address_pattern(p, t, buf, &pat->net);
	if (r == 1)
		syntax_error(p, t.p, "server '%.*s' after '@' must be an "
		             "address or network, not a name", TOK(t));
	if (r != 0)
		return -1;
	pat->has_net = true;
	return 0;
}

/* One service: "pop", "ALL", "imap@192.0.2.1", "ALL@[2001:db8::1]". */
static int parse_service(struct parser *p, struct token t, struct pattern *pat)
{
	const char *at = memchr(t.p, '@', t.len);
	struct token name = { t.p, at != NULL ? (size_t)(at - t.p) : t.len };
	int w = wildcard_kind(name);

	if (name.len == 0) {
		syntax_error(p, t.p, "service name missing before '@'");
		return -1;
	}
	if (w == PAT_ALL) {
		pat->kind = PAT_ALL;
	} else if (w >= 0) {
		syntax_error(p, t.p, "%.*s is a client wildcard; services are "
		             "named, or ALL", TOK(name));
		return -1;
	} else if (parse_service_name(p, name, pat) != 0) {
		return -1;
	}
	if (at == NULL)
		return 0;
	struct token host = { at + 1, t.len - name.len - 1 };
	return parse_server(p, host, pat);
}

/* ---- lists and filters ------------------------------------------------ */

static void plist_free(struct plist *l)
{
	while (l != NULL) {
		struct plist *next = l->except;
		for (size_t i = 0; i < l->n; i++)
			free(l->items[i].name);
		free(l->items);
		free(l);
		l = next;
	}
}

static int plist_push(struct plist *l, const struct pattern *pat)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		struct pattern *v = realloc(l->items, cap * sizeof *v);
		if (v == NULL)
			return -1;
		l->items = v;
		l->cap = cap;
	}
	l->items[l->n++] = *pat;
	return 0;
}

typedef int (*item_parser)(struct parser *, struct token, struct pattern *);

/* Adds one item word T to list L; takes the pattern's memory. */
static int add_item(struct parser *p, struct plist *l, struct token t,
                    item_parser parse_item)
{
	struct pattern pat = { 0 };

	if (parse_item(p, t, &pat) != 0) {
		free(pat.name);
		return -1;
	}
	if (plist_push(l, &pat) != 0) {
		free(pat.name);
		out_of_memory(p);
		return -1;
	}
	return 0;
}

/* Parses the list in [b, e); WHAT ("service", "client") names its items
 * in messages.  Returns the list, or NULL after an error. */
static struct plist *parse_list(struct parser *p, const char *b,
                                const char *e, item_parser parse_item,
                                const char *what)
{
	struct plist *head = calloc(1, sizeof *head), *cur = head;
	const char *pos = b, *except_at = NULL;
	struct token t;

	if (head == NULL) {
		out_of_memory(p);
		return NULL;
	}
	while (next_token(&pos, e, &t)) {
		if (!token_is(t, "EXCEPT")) {
			if (add_item(p, cur, t, parse_item) != 0)
				goto fail;
			continue;
		}
		if (cur->n == 0) {
			syntax_error(p, t.p, "EXCEPT with no %s before it",
			             what);
			goto fail;
		}
		cur->except = calloc(1, sizeof *cur);
		if (cur->except == NULL) {
			out_of_memory(p);
			goto fail;
		}
		cur = cur->except;
		except_at = t.p;
	}
	if (cur->n == 0 && except_at != NULL) {
		syntax_error(p, except_at, "EXCEPT with no %s after it", what);
		goto fail;
	}
	if (cur->n == 0) {
		syntax_error(p, b, "empty %s list", what);
		goto fail;
	}
	return head;
fail:
	plist_free(head);
	return NULL;
}

static void filter_free(struct filter *f)
{
	free(f->origin);
	free(f->text);
	plist_free(f->services);
	plist_free(f->clients);
}

/* The service list ends at the first ':' outside brackets, since an
 * IPv6 server address holds colons too. */
static const char *find_colon(const char *b, const char *e)
{
	int depth = 0;

	for (const char *s = b; s < e; s++) {
		if (*s == '[')
			depth++;
		else if (*s == ']' && depth > 0)
			depth--;
		else if (*s == ':' && depth == 0)
			return s;
	}
	return NULL;
}

static void trim(const char **b, const char **e)
{
	while (*b < *e && isspace((unsigned char)**b))
		(*b)++;
	while (*e > *b && isspace((unsigned char)(*e)[-1]))
		(*e)--;
}

/* Parses "serviceList: clientList" in [b, e) into F; TEXT_B starts the
 * text kept for logs (it includes a compact rule's sign). */
static int parse_filter(struct parser *p, const char *text_b, const char *b,
                        const char *e, struct filter *f)
{
	const char *colon;

	trim(&b, &e);
	if (b == e) {
		syntax_error(p, b, "empty filter");
		return -1;
	}
	colon = find_colon(b, e);
	if (colon == NULL) {
		syntax_error(p, e, "expected ':' after service list");
		return -1;
	}
	f->services = parse_list(p, b, colon, parse_service, "service");
	if (f->services == NULL)
		return -1;
	f->clients = parse_list(p, colon + 1, e, parse_client, "client");
	if (f->clients == NULL)
		return -1;
	f->origin = strdup(p->label);
	f->text = strndup(text_b, (size_t)(e - text_b));
	if (f->origin == NULL || f->text == NULL) {
		out_of_memory(p);
		return -1;
	}
	return 0;
}

static size_t filter_count(const struct access_filters *set)
{
	return set->lists[ACCESS_LIST_ALLOW].n + set->lists[ACCESS_LIST_DENY].n;
}

/* Parses one filter and appends it to list WHICH of SET. */
static int add_filter(struct parser *p, struct access_filters *set,
                      enum access_list which, const char *text_b,
                      const char *b, const char *e)
{
	struct filter_vec *vec = &set->lists[which];
	struct filter f = { 0 };

	if (filter_count(set) >= ACCESS_FILTER_MAX_COUNT) {
		syntax_error(p, b, "more than %d filters",
		             ACCESS_FILTER_MAX_COUNT);
		return -1;
	}
	if (parse_filter(p, text_b, b, e, &f) != 0) {
		filter_free(&f);
		return -1;
	}
	if (vec->n == vec->cap) {
		size_t cap = vec->cap ? vec->cap * 2 : 8;
		struct filter *v = realloc(vec->v, cap * sizeof *v);
		if (v == NULL) {
			filter_free(&f);
			out_of_memory(p);
			return -1;
		}
		vec->v = v;
		vec->cap = cap;
	}
	vec->v[vec->n++] = f;
	return 0;
}

/* The entries of access.allow or access.deny. */
static int parse_entries(struct parser *p, struct access_filters *set,
                         enum access_list which, const char *key,
                         const char *const *entries, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *s = entries[i] != NULL ? entries[i] : "";
		size_t len = strnlen(s, ACCESS_FILTER_MAX_TEXT + 1);
		const char *b = s;

		snprintf(p->origin, sizeof p->origin, "%s[%zu]", key, i);
		snprintf(p->label, sizeof p->label, "%s", p->origin);
		p->text = s;
		if (len > ACCESS_FILTER_MAX_TEXT) {
			syntax_error(p, s + ACCESS_FILTER_MAX_TEXT,
			             "filter longer than %d bytes",
			             ACCESS_FILTER_MAX_TEXT);
			return -1;
		}
		while (isspace((unsigned char)*b))
			b++;
		if (*b == '+' || *b == '-') {
			syntax_error(p, b, "a rule starting with '+' or '-' "
			             "belongs in %s", COMPACT_KEY);
			return -1;
		}
		if (add_filter(p, set, which, b, b, s + len) != 0)
			return -1;
	}
	return 0;
}

/* One '$'-separated rule [b, e) of the compact string, number RULE. */
static int parse_rule(struct parser *p, struct access_filters *set,
                      const char *b, const char *e, size_t rule)
{
	trim(&b, &e);
	if (b == e || (*b != '+' && *b != '-')) {
		syntax_error(p, b, b == e ? "empty rule" : "a rule starts with "
		             "'+' (allow) or '-' (deny)");
		return -1;
	}
	/* Errors name the whole string, whose columns they count; the
	 * filter keeps its rule number for the log. */
	snprintf(p->label, sizeof p->label, "%s[%zu]", COMPACT_KEY, rule);
	return add_filter(p, set, *b == '+' ? ACCESS_LIST_ALLOW
	                  : ACCESS_LIST_DENY, b, b + 1, e);
}

/* "+imap,pop:ALL$-http:.evil.example": '+' rules join the Allow list,
 * '-' rules the Deny list, in order.  A blank string holds no rules. */
static int parse_compact(struct parser *p, struct access_filters *set,
                         const char *s)
{
	size_t len = strnlen(s, ACCESS_COMPACT_MAX_TEXT + 1);
	const char *pos = s, *end = s + len;

	p->text = s;
	snprintf(p->origin, sizeof p->origin, "%s", COMPACT_KEY);
	if (len > ACCESS_COMPACT_MAX_TEXT) {
		syntax_error(p, s + ACCESS_COMPACT_MAX_TEXT,
		             "longer than %d bytes", ACCESS_COMPACT_MAX_TEXT);
		return -1;
	}
	if (strspn(s, " \t\r\n") == len)
		return 0;
	for (size_t rule = 0;; rule++) {
		const char *dollar = memchr(pos, '$', (size_t)(end - pos));
		const char *rule_end = dollar != NULL ? dollar : end;
		if (parse_rule(p, set, pos, rule_end, rule) != 0)
			return -1;
		if (dollar == NULL)
			return 0;
		pos = dollar + 1;
	}
}

struct access_filters *access_filters_parse(
    const struct access_filter_config *cfg, char *err, size_t errlen)
{
	struct access_filters *set = calloc(1, sizeof *set);
	struct parser p = {
		.source = cfg->source != NULL ? cfg->source : "(config)",
		.origin = "access",
		.text = "",
		.services = cfg->services,
		.err = err,
		.errlen = errlen,
	};

	if (errlen > 0)
		err[0] = '\0';
	if (set == NULL) {
		out_of_memory(&p);
		return NULL;
	}
	if (parse_entries(&p, set, ACCESS_LIST_ALLOW, ALLOW_KEY, cfg->allow,
	                  cfg->n_allow) != 0 ||
	    parse_entries(&p, set, ACCESS_LIST_DENY, DENY_KEY, cfg->deny,
	                  cfg->n_deny) != 0 ||
	    (cfg->compact != NULL &&
	     parse_compact(&p, set, cfg->compact) != 0)) {
		access_filters_free(set);
		return NULL;
	}
	return set;
}

void access_filters_free(struct access_filters *filters)
{
	if (filters == NULL)
		return;
	for (int l = 0; l < 2; l++) {
		for (size_t i = 0; i < filters->lists[l].n; i++)
			filter_free(&filters->lists[l].v[i]);
		free(filters->lists[l].v);
	}
	free(filters);
}

/* ---- matching --------------------------------------------------------- */

/* The connection, normalised once per check. */
struct subject {
	const char *service;
	bool have_peer, have_local;
	struct net peer, local;
	enum access_host_state state;
	const char *name;        /* when ACCESS_HOST_VERIFIED */
	size_t name_len;         /* without a trailing dot */
};

/* Reads an AF_INET/AF_INET6 address; an IPv4-mapped IPv6 address
 * becomes the IPv4 address, as a dual-stack socket reports IPv4 peers. */
static bool net_from_sockaddr(const struct sockaddr *sa, struct net *n)
{
	static const unsigned char v4mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		struct sockaddr_in in;
		memcpy(&in, sa, sizeof in);
		n->family = AF_INET;
		memcpy(n->addr, &in.sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		struct sockaddr_in6 in6;
		memcpy(&in6, sa, sizeof in6);
		const unsigned char *b = in6.sin6_addr.s6_addr;
		bool mapped = memcmp(b, v4mapped, sizeof v4mapped) == 0;
		n->family = mapped ? AF_INET : AF_INET6;
		memcpy(n->addr, mapped ? b + 12 : b, mapped ? 4 : 16);
		return true;
	}
	return false;
}

static void subject_init(struct subject *s, const char *service,
                         const struct access_client *c)
{
	memset(s, 0, sizeof *s);
	s->service = service;
	s->have_peer = net_from_sockaddr(c->peer, &s->peer);
	s->have_local = net_from_sockaddr(c->local, &s->local);
	s->state = c->host_state;
	if (s->state == ACCESS_HOST_VERIFIED &&
	    (c->hostname == NULL || c->hostname[0] == '\0'))
		s->state = ACCESS_HOST_NONAME;
	/* Without an address there is nothing to look up. */
	if (!s->have_peer && s->state == ACCESS_HOST_UNRESOLVED)
		s->state = ACCESS_HOST_NONAME;
	if (s->state == ACCESS_HOST_VERIFIED) {
		s->name = c->hostname;
		s->name_len = strlen(c->hostname);
		if (s->name_len > 1 && s->name[s->name_len - 1] == '.')
			s->name_len--;
	}
}

static enum tri tri_of(bool b)
{
	return b ? TRI_YES : TRI_NO;
}

/* YES when the verified name is there to test, MAYBE before lookup. */
static enum tri name_available(const struct subject *s)
{
	if (s->state == ACCESS_HOST_UNRESOLVED)
		return TRI_MAYBE;
	return tri_of(s->state == ACCESS_HOST_VERIFIED);
}

static bool name_matches(const struct pattern *pat, const struct subject *s)
{
	size_t plen;

	if (pat->kind == PAT_LOCAL)
		return memchr(s->name, '.', s->name_len) == NULL;
	plen = strlen(pat->name);
	if (pat->kind == PAT_HOSTNAME)
		return plen == s->name_len &&
		       strncasecmp(s->name, pat->name, plen) == 0;
	/* PAT_DOMAIN: the name ends in ".example.com" */
	return s->name_len > plen &&
	       strncasecmp(s->name + s->name_len - plen, pat->name, plen) == 0;
}

static enum tri match_name(const struct pattern *pat, const struct subject *s)
{
	enum tri t = name_available(s);

	return t == TRI_YES ? tri_of(name_matches(pat, s)) : t;
}

static enum tri match_service(const struct pattern *pat,
                              const struct subject *s)
{
	if (pat->kind == PAT_SERVICE && strcasecmp(pat->name, s->service) != 0)
		return TRI_NO;
	return tri_of(!pat->has_net ||
	              (s->have_local && net_contains(&pat->net, &s->local)));
}

static enum tri match_pattern(const struct pattern *pat,
                              const struct subject *s)
{
	switch (pat->kind) {
	case PAT_ALL:
	case PAT_SERVICE:
		return match_service(pat, s);
	case PAT_NET:
		return tri_of(s->have_peer &&
		              net_contains(&pat->net, &s->peer));
	case PAT_KNOWN:
		return s->have_peer ? name_available(s) : TRI_NO;
	case PAT_UNKNOWN:
		if (!s->have_peer)
			return TRI_YES;
		return s->state == ACCESS_HOST_UNRESOLVED ? TRI_MAYBE
		       : tri_of(s->state != ACCESS_HOST_VERIFIED);
	case PAT_DNSSPOOFER:
		return s->state == ACCESS_HOST_UNRESOLVED ? TRI_MAYBE
		       : tri_of(s->state == ACCESS_HOST_MISMATCH);
	case PAT_LOCAL:
	case PAT_HOSTNAME:
	case PAT_DOMAIN:
		return match_name(pat, s);
	}
	return TRI_NO;
}

/* Any item, unless the EXCEPT list matches (Kleene logic when the name
 * is not known yet). */
static enum tri match_list(const struct plist *l, const struct subject *s)
{
	enum tri any = TRI_NO, ex;

	for (size_t i = 0; i < l->n && any != TRI_YES; i++) {
		enum tri t = match_pattern(&l->items[i], s);
		if (t != TRI_NO)
			any = t;
	}
	if (any == TRI_NO || l->except == NULL)
		return any;
	ex = match_list(l->except, s);
	if (ex == TRI_YES)
		return TRI_NO;
	return ex == TRI_MAYBE ? TRI_MAYBE : any;
}

static enum tri match_filter(const struct filter *f, const struct subject *s)
{
	if (match_list(f->services, s) != TRI_YES)
		return TRI_NO;
	return match_list(f->clients, s);
}

static void decide(struct access_decision *out, enum access_verdict v,
                   bool matched, enum access_list list, size_t index,
                   const struct filter *f)
{
	out->verdict = v;
	out->matched = matched;
	out->list = list;
	out->index = index;
	out->origin = f != NULL ? f->origin : NULL;
	out->text = f != NULL ? f->text : NULL;
}

enum access_verdict access_check(const struct access_filters *filters,
                                 const char *service,
                                 const struct access_client *client,
                                 struct access_decision *out)
{
	static const enum access_verdict on_match[2] = {
		[ACCESS_LIST_ALLOW] = ACCESS_ALLOW,
		[ACCESS_LIST_DENY] = ACCESS_DENY,
	};
	struct access_decision scratch;
	struct subject s;

	if (out == NULL)
		out = &scratch;
	subject_init(&s, service, client);
	for (int l = ACCESS_LIST_ALLOW; l <= ACCESS_LIST_DENY; l++) {
		const struct filter_vec *vec = &filters->lists[l];
		for (size_t i = 0; i < vec->n; i++) {
			enum tri t = match_filter(&vec->v[i], &s);
			if (t == TRI_NO)
				continue;
			decide(out, t == TRI_YES ? on_match[l]
			                         : ACCESS_NEED_HOSTNAME,
			       t == TRI_YES, (enum access_list)l, i,
			       &vec->v[i]);
			return out->verdict;
		}
	}
	decide(out, ACCESS_ALLOW, false, ACCESS_LIST_ALLOW, 0, NULL);
	return ACCESS_ALLOW;
}

const char *access_verdict_name(enum access_verdict verdict)
{
	switch (verdict) {
	case ACCESS_ALLOW:
		return "allow";
	case ACCESS_DENY:
		return "deny";
	case ACCESS_NEED_HOSTNAME:
		return "need_hostname";
	}
	return "?";
}
