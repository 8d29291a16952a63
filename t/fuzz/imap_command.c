/*
 * imap_command.c - libFuzzer target: one IMAP command as imap_conn.c
 * hands it to the grammar (literals inline, no final CRLF), parsed the
 * way the command handlers drive the parser: tag, name, then the
 * arguments of FETCH, SEARCH, STORE, COPY, MOVE, STATUS, LOGIN, RENAME,
 * LIST, APPEND, and a mailbox for any other command.
 * Also the literal announcement check on the raw line.  See mk/fuzz.sh.
 *
 * fuzz-sources: imap4srv/imap_parse.c imap4srv/imap_seqset.c imap4srv/imap_flags.c imap4srv/imap_fetch_att.c imap4srv/imap_search_parse.c imap4srv/imap_search_eval.c
 */
#include "imap_fetch_att.h"
#include "imap_flags.h"
#include "imap_parse.h"
#include "imap_search.h"
#include "imap_seqset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void args_fetch(struct imap_parser *p, bool uid)
{
	struct imap_seqset set = { 0 };
	struct fetch_request req;

	if (imap_p_sp(p) == 0 && imap_p_seqset(p, &set) == 0) {
		imap_seqset_resolve(&set, 1000);
		if (imap_fetch_parse(p, uid, &req) == 0)
			imap_fetch_request_free(&req);
	}
	imap_seqset_free(&set);
}

static void args_search(struct imap_parser *p)
{
	struct search_key *k = NULL;
	struct imap_str charset;

	if (imap_p_sp(p) < 0)
		return;
	/* "CHARSET x " comes before the keys, as imap_cmd_search.c reads it. */
	if (imap_p_word(p, "CHARSET") &&
	    (imap_p_sp(p) < 0 || imap_p_astring(p, &charset) < 0 || imap_p_sp(p) < 0))
		return;
	if (imap_search_parse(p, &k) == 0) {
		imap_search_resolve(k, 100, 1000);
		imap_search_has_modseq(k);
	}
	imap_search_free(k);
}

/* COPY, MOVE: a sequence set and a mailbox. */
static void args_copy(struct imap_parser *p)
{
	struct imap_seqset set = { 0 };
	struct imap_str box;

	if (imap_p_sp(p) == 0 && imap_p_seqset(p, &set) == 0 && imap_p_sp(p) == 0 &&
	    imap_p_astring(p, &box) == 0)
		imap_p_end(p);
	imap_seqset_free(&set);
}

/* STATUS mailbox (items): atoms in parentheses. */
static void args_status(struct imap_parser *p)
{
	struct imap_str box, item;

	if (imap_p_sp(p) < 0 || imap_p_astring(p, &box) < 0 || imap_p_sp(p) < 0 ||
	    imap_p_open(p) < 0)
		return;
	while (imap_p_atom(p, &item) == 0 && !imap_p_peek(p, ')'))
		if (imap_p_sp(p) < 0)
			return;
	if (imap_p_close(p) == 0)
		imap_p_end(p);
}

static void args_store(struct imap_parser *p)
{
	struct imap_seqset set = { 0 };
	struct imap_str item;
	struct imap_flagset flags;

	if (imap_p_sp(p) == 0 && imap_p_seqset(p, &set) == 0 &&
	    imap_p_sp(p) == 0 && imap_p_atom(p, &item) == 0 && imap_p_sp(p) == 0)
		(void)(imap_p_flag_list(p, true, &flags) == 0 && imap_p_end(p) == 0);
	imap_seqset_free(&set);
}

static void args_strings(struct imap_parser *p, int n, bool list)
{
	struct imap_str s;
	char copy[256];

	for (int i = 0; i < n; i++) {
		if (imap_p_sp(p) < 0)
			return;
		if (list && i == n - 1 ? imap_p_list_mailbox(p, &s) < 0
		                       : imap_p_astring(p, &s) < 0)
			return;
		imap_str_copy(&s, copy, sizeof copy);
		free(imap_str_dup(&s));
	}
	imap_p_end(p);
}

static void args_append(struct imap_parser *p)
{
	struct imap_str s;
	struct imap_flagset flags;

	if (imap_p_sp(p) < 0 || imap_p_astring(p, &s) < 0 || imap_p_sp(p) < 0)
		return;
	if (imap_p_peek(p, '(') &&
	    (imap_p_flag_list(p, false, &flags) < 0 || imap_p_sp(p) < 0))
		return;
	if (imap_p_string(p, &s) == 0)
		imap_p_end(p);
}

static void command(struct imap_parser *p)
{
	struct imap_str tag, name;
	bool uid = false;

	if (imap_p_tag(p, &tag) < 0 || imap_p_sp(p) < 0 || imap_p_atom(p, &name) < 0)
		return;
	if (imap_str_eq(&name, "UID")) {
		uid = true;
		if (imap_p_sp(p) < 0 || imap_p_atom(p, &name) < 0)
			return;
	}
	if (imap_str_eq(&name, "FETCH"))
		args_fetch(p, uid);
	else if (imap_str_eq(&name, "SEARCH"))
		args_search(p);
	else if (imap_str_eq(&name, "STORE"))
		args_store(p);
	else if (imap_str_eq(&name, "LOGIN") || imap_str_eq(&name, "RENAME"))
		args_strings(p, 2, false);
	else if (imap_str_eq(&name, "LIST") || imap_str_eq(&name, "LSUB"))
		args_strings(p, 2, true);
	else if (imap_str_eq(&name, "APPEND"))
		args_append(p);
	else if (imap_str_eq(&name, "COPY") || imap_str_eq(&name, "MOVE"))
		args_copy(p);
	else if (imap_str_eq(&name, "STATUS"))
		args_status(p);
	else
		args_strings(p, 1, false);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_parser p;
	uint32_t lit;
	bool nonsync;
	/* A copy with a NUL after it: the parser changes its buffer. */
	char *buf = malloc(size + 1);

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	imap_literal_at_end(buf, size, &lit, &nonsync);
	imap_parser_init(&p, buf, size);
	command(&p);
	free(buf);
	return 0;
}
