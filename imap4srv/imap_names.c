/*
 * imap_names.c - validating mailbox names, converting them between wire
 * and store, and matching LIST patterns; see imap_names.h.
 */
#include "imap_names.h"
#include "imap_utf7.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool imap_name_is_inbox(const char *name)
{
	return strncasecmp(name, "INBOX", 5) == 0 &&
	       (name[5] == '\0' || name[5] == IMAP_DELIMITER);
}

bool imap_name_is_below(const char *child, const char *parent)
{
	size_t n = strlen(parent);
	return strncmp(child, parent, n) == 0 && child[n] == IMAP_DELIMITER;
}

static const char *check_levels(const char *name)
{
	int depth = 1;
	if (name[0] == IMAP_DELIMITER)
		return "a mailbox name cannot start with \"/\"";
	for (const char *p = name; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch < 0x20 || ch == 0x7f)
			return "control characters are not allowed in mailbox names";
		if (ch == '*' || ch == '%')
			return "wildcards are not allowed in mailbox names";
		if (ch == IMAP_DELIMITER) {
			if (p[1] == IMAP_DELIMITER || p[1] == '\0')
				return "empty level in mailbox name";
			if (++depth > IMAP_NAME_DEPTH)
				return "mailbox name too deep";
		}
	}
	if (strstr(name, "..") != NULL)
		return "\"..\" is not allowed in mailbox names";
	return NULL;
}

/* Copies WIRE into RAW (IMAP_WIRE_MAX bytes) without the trailing "/"
 * CREATE allows; *WHY on failure. */
static int raw_name(const struct imap_str *wire, char raw[IMAP_WIRE_MAX], const char **why)
{
	if (wire->len == 0) {
		*why = "empty mailbox name";
		return -1;
	}
	if (imap_str_copy(wire, raw, IMAP_WIRE_MAX) < 0) {
		*why = "mailbox name too long or holding NUL";
		return -1;
	}
	/* CREATE "a/" means "a" meant to have children */
	if (wire->len > 1 && raw[wire->len - 1] == IMAP_DELIMITER)
		raw[wire->len - 1] = '\0';
	return 0;
}

/* The checks common to both wire forms, on the decoded name OUT. */
static int check_name(char out[IMAP_NAME_MAX + 1], const char **why)
{
	if ((*why = check_levels(out)) != NULL)
		return -1;
	if (imap_name_is_inbox(out))
		memcpy(out, "INBOX", 5);
	return 0;
}

int imap_name_from_wire(const struct imap_str *wire, char out[IMAP_NAME_MAX + 1],
                        const char **why)
{
	char raw[IMAP_WIRE_MAX];
	if (raw_name(wire, raw, why) < 0)
		return -1;
	if (imap_utf7_decode(raw, out, IMAP_NAME_MAX + 1) < 0) {
		*why = strlen(raw) > IMAP_NAME_MAX ? "mailbox name too long"
		                                   : "invalid modified UTF-7 in mailbox name";
		return -1;
	}
	return check_name(out, why);
}

int imap_name_from_utf8(const struct imap_str *wire, char out[IMAP_NAME_MAX + 1],
                        const char **why)
{
	char raw[IMAP_WIRE_MAX], mutf7[IMAP_WIRE_MAX];
	if (raw_name(wire, raw, why) < 0)
		return -1;
	if (strlen(raw) > IMAP_NAME_MAX) {
		*why = "mailbox name too long";
		return -1;
	}
	/* the encoder refuses what is not UTF-8; a rev1 client must be
	 * able to see the name too */
	if (imap_utf7_encode(raw, mutf7, sizeof mutf7) < 0) {
		*why = "mailbox name is not UTF-8";
		return -1;
	}
	memcpy(out, raw, strlen(raw) + 1);
	return check_name(out, why);
}

int imap_p_mailbox(struct imap_parser *p, char out[IMAP_NAME_MAX + 1],
                   const char **why)
{
	struct imap_str s;
	if (imap_p_astring(p, &s) < 0)
		return -1;
	int r = p->utf8 ? imap_name_from_utf8(&s, out, why) : imap_name_from_wire(&s, out, why);
	return r < 0 ? -2 : 0;
}

int imap_name_to_wire(const char *name, char out[IMAP_WIRE_MAX])
{
	return imap_utf7_encode(name, out, IMAP_WIRE_MAX);
}

int imap_name_to_client(const char *name, bool utf8, char out[IMAP_WIRE_MAX])
{
	if (imap_name_to_wire(name, out) < 0)
		return -1;
	if (utf8)   /* valid UTF-8, as the encoder just found */
		snprintf(out, IMAP_WIRE_MAX, "%s", name);
	return 0;
}

/* ---- LIST patterns ---- */

/* Dynamic programming over pattern positions: row[j] is true when the
 * pattern so far matches the first j bytes of NAME.  Linear in the
 * product of the lengths, whatever the wildcards. */
static bool match_dp(const char *pat, const char *name)
{
	size_t n = strlen(name);
	bool *row = calloc(n + 1, sizeof *row), *next = calloc(n + 1, sizeof *next);
	bool result = false;
	if (row == NULL || next == NULL)
		goto out;
	row[0] = true;
	for (const char *p = pat; *p; p++) {
		bool reach = false;    /* some earlier column reachable through a wildcard */
		for (size_t j = 0; j <= n; j++) {
			if (*p == '*' || *p == '%') {
				reach = reach || row[j];
				next[j] = reach;
				if (*p == '%' && j < n && name[j] == IMAP_DELIMITER)
					reach = false;
			} else {
				next[j] = j > 0 && row[j - 1] && name[j - 1] == *p;
			}
		}
		bool *t = row;
		row = next;
		next = t;
	}
	result = row[n];
out:
	free(row);
	free(next);
	return result;
}

bool imap_list_match(const char *pattern, const char *name)
{
	/* INBOX in any case: compare its five letters apart */
	if (strncasecmp(name, "INBOX", 5) == 0 && (name[5] == '\0' || name[5] == IMAP_DELIMITER) &&
	    strncasecmp(pattern, "INBOX", 5) == 0)
		return match_dp(pattern + 5, name + 5);
	return match_dp(pattern, name);
}
