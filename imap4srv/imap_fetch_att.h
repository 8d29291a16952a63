/*
 * imap_fetch_att.h - what a FETCH asks for (RFC 3501 section 6.4.5, with
 * CONDSTORE's MODSEQ and CHANGEDSINCE, OBJECTID's EMAILID and THREADID,
 * and BINARY's sections of RFC 3516): the attribute list parsed into
 * a request that imap_fetch.c answers message by message.
 */
#ifndef IMAP_FETCH_ATT_H
#define IMAP_FETCH_ATT_H

#include "imap_parse.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Levels of a section part number ("1.2.3"). */
#define FETCH_PART_DEPTH 32
/* Attributes in one FETCH, header fields in one HEADER.FIELDS. */
#define FETCH_ATTS_MAX 64
#define FETCH_FIELDS_MAX 128

enum fetch_kind {
	FA_UID, FA_FLAGS, FA_INTERNALDATE, FA_RFC822_SIZE, FA_MODSEQ,
	FA_EMAILID, FA_THREADID,        /* OBJECTID, RFC 8474 */
	FA_ENVELOPE, FA_BODYSTRUCTURE,
	FA_BODY,            /* BODY: the non-extensible BODYSTRUCTURE */
	FA_SECTION,         /* BODY[...], BODY.PEEK[...], RFC822, RFC822.HEADER,
	                     * RFC822.TEXT */
	FA_BINARY,          /* BINARY[part], BINARY.PEEK[part] (RFC 3516) */
	FA_BINARY_SIZE,     /* BINARY.SIZE[part] */
};

enum section_kind {
	SEC_ALL,            /* BODY[] or BODY[1.2] */
	SEC_HEADER,
	SEC_HEADER_FIELDS,
	SEC_HEADER_FIELDS_NOT,
	SEC_TEXT,
	SEC_MIME,
};

struct fetch_section {
	uint32_t part[FETCH_PART_DEPTH];
	int nparts;             /* 0: the whole message */
	enum section_kind kind;
	char **fields;          /* HEADER.FIELDS names, malloc'ed */
	size_t nfields;
	bool partial;
	uint32_t origin, count; /* <origin.count> */
};

struct fetch_att {
	enum fetch_kind kind;
	bool peek;              /* does not set \Seen */
	struct fetch_section sec;
	char *label;            /* FA_SECTION, FA_BINARY*: the response's name
	                         * for it, "BODY[1.HEADER.FIELDS (FROM)]",
	                         * "BINARY[1]", malloc'ed */
};

struct fetch_request {
	struct fetch_att att[FETCH_ATTS_MAX];
	size_t n;
	bool set_seen;          /* a non-peek body part is fetched */
	bool changedsince_set;
	uint64_t changedsince;
	bool vanished;          /* QRESYNC's VANISHED modifier */
};

/*
 * Parses " <attributes> [(CHANGEDSINCE n [VANISHED])]" at the cursor
 * (after the sequence set) to the end of the command into OUT.  UID adds
 * the UID attribute (UID FETCH, and any FETCH with QRESYNC, answers it).  Returns 0, or -1 with
 * p->error set or after logging that memory ran out; OUT is freed then.
 */
int imap_fetch_parse(struct imap_parser *p, bool uid, struct fetch_request *out);

void imap_fetch_request_free(struct fetch_request *r);

/* True when the request has an attribute of KIND. */
bool imap_fetch_has(const struct fetch_request *r, enum fetch_kind kind);

#endif
