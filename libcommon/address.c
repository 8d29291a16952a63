/*
 * address.c - normalizing and splitting envelope addresses for smtpgw,
 * postman and oomgr; see address.h.
 */
#include "address.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Characters an envelope address of ems may not hold: blanks, controls,
 * and the quoting and bracket characters of RFC 5322 that would make the
 * address ambiguous in a header or a command line. */
static bool char_ok(unsigned char c)
{
	return c > ' ' && c != 0x7f && strchr("\"<>(),;:\\[]", c) == NULL;
}

/* Copies IN[0..LEN) to OUT without brackets and source route. */
static int strip_path(const char *in, size_t len, char *out, size_t outlen)
{
	if (len >= 2 && in[0] == '<' && in[len - 1] == '>') {
		in++;
		len -= 2;
	}
	if (len > 0 && in[0] == '@') {
		const char *colon = memchr(in, ':', len);
		if (colon == NULL)
			return -1;
		len -= (size_t)(colon + 1 - in);
		in = colon + 1;
	}
	if (len >= outlen || len > ADDR_MAX)
		return -1;
	memcpy(out, in, len);
	out[len] = '\0';
	return 0;
}

/* IN without surrounding blanks, brackets and source route into OUT. */
static int strip(const char *in, char *out, size_t outlen)
{
	size_t len;

	if (in == NULL || outlen < 1)
		return -1;
	while (*in == ' ' || *in == '\t')
		in++;
	len = strlen(in);
	while (len > 0 && (in[len - 1] == ' ' || in[len - 1] == '\t'))
		len--;
	return strip_path(in, len, out, outlen);
}

int addr_normalize(const char *in, char *out, size_t outlen, bool allow_null)
{
	if (strip(in, out, outlen) < 0)
		return -1;
	if (out[0] == '\0')
		return allow_null ? 0 : -1;
	char *at = strrchr(out, '@');
	if (at == NULL || at == out || at[1] == '\0' ||
	    (size_t)(at - out) > ADDR_LOCAL_MAX || strlen(at + 1) > ADDR_DOMAIN_MAX)
		return -1;
	for (const char *p = out; *p; p++)
		if (!char_ok((unsigned char)*p) || (*p == '@' && p != at))
			return -1;
	for (char *p = at + 1; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return 0;
}

int addr_qualify(const char *in, const char *default_domain, char *out, size_t outlen)
{
	char local[ADDR_MAX + 1], full[ADDR_MAX + 1];

	if (addr_normalize(in, out, outlen, false) == 0)
		return 0;
	if (strip(in, local, sizeof local) < 0 || local[0] == '\0' ||
	    strlen(local) > ADDR_LOCAL_MAX)
		return -1;
	for (const char *p = local; *p; p++)
		if (!char_ok((unsigned char)*p) || *p == '@')
			return -1;
	if (default_domain == NULL || default_domain[0] == '\0') {
		if (strlen(local) >= outlen)
			return -1;
		strcpy(out, local);
		return ADDR_NO_DOMAIN;
	}
	if (snprintf(full, sizeof full, "%s@%s", local, default_domain) >= (int)sizeof full)
		return -1;
	return addr_normalize(full, out, outlen, false);
}

int addr_split(const char *addr, char *local, size_t local_len, char *domain,
               size_t domain_len)
{
	const char *at = addr != NULL ? strrchr(addr, '@') : NULL;
	if (at == NULL || at == addr || at[1] == '\0')
		return -1;
	size_t llen = (size_t)(at - addr), dlen = strlen(at + 1);
	if (llen > ADDR_LOCAL_MAX || llen >= local_len || dlen > ADDR_DOMAIN_MAX ||
	    dlen >= domain_len)
		return -1;
	memcpy(local, addr, llen);
	local[llen] = '\0';
	memcpy(domain, at + 1, dlen + 1);
	return 0;
}

char *addr_cut_detail(char *local)
{
	char *sep = strchr(local, ADDR_DETAIL_SEP);
	if (sep == NULL || sep == local || sep[1] == '\0')
		return NULL;
	*sep = '\0';
	return sep + 1;
}

bool addr_equal(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}
