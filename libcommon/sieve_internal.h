/*
 * sieve_internal.h - what the parts of the Sieve interpreter share (see
 * sieve.h): tokens, the program tree, and the run state.  Not for
 * callers outside libcommon/sieve_*.c.
 *
 * A program is a tree of nodes, one node per command or test.  The parser
 * (sieve_parse.c) keeps every argument; the checker (sieve_check.c)
 * resolves each node against the table of known commands and tests,
 * splits its tagged from its positional arguments and rejects what does
 * not fit, so the evaluator never meets a malformed node.
 */
#ifndef EMS_SIEVE_INTERNAL_H
#define EMS_SIEVE_INTERNAL_H

#include "sieve.h"

enum sv_tok {
	SV_EOF, SV_IDENT, SV_TAG, SV_NUM, SV_STR, SV_LBRACK, SV_RBRACK,
	SV_LPAREN, SV_RPAREN, SV_COMMA, SV_SEMI, SV_LBRACE, SV_RBRACE, SV_ERR,
};

struct sv_token {
	enum sv_tok type;
	char *s;                /* IDENT, TAG (without ':'), STR: malloc'ed */
	uint64_t num;
	int line, col;
};

struct sv_lexer {
	const char *p, *end;
	int line, col;
	struct sieve_error *err;
};

void sv_lex_init(struct sv_lexer *lx, const char *src, size_t len, struct sieve_error *err);
/* The next token into T (T->s owned by the caller); SV_ERR with the
 * lexer's ERR filled on a bad token. */
void sv_lex_next(struct sv_lexer *lx, struct sv_token *t);

enum sv_arg_kind { SV_ARG_TAG, SV_ARG_NUM, SV_ARG_LIST };

struct sv_arg {
	enum sv_arg_kind kind;
	char *tag;              /* TAG: without ':' */
	uint64_t num;
	char **v;               /* LIST: strings (one for a plain string) */
	size_t n;
	bool plain;             /* LIST written as one string, not [ ... ] */
	int line, col;
};

/* A tagged argument after checking: its name and value (NULL: none). */
struct sv_tagged {
	const char *name;
	const struct sv_arg *value;
};

#define SV_POS_MAX 3
#define SV_TAGGED_MAX 8

struct sv_node {
	char *name;
	int line, col;
	struct sv_arg *args;
	size_t nargs;
	struct sv_node *tests;  /* the test of if/elsif/not, the list of allof/anyof */
	size_t ntests;
	struct sv_node *block;  /* { ... } of if/elsif/else */
	size_t nblock;
	bool has_block;         /* written with { ... }, even empty */
	/* filled by the checker */
	int op;                 /* enum sv_op */
	const struct sv_arg *pos[SV_POS_MAX];
	size_t npos;
	struct sv_tagged tagged[SV_TAGGED_MAX];
	size_t ntagged;
};

enum sv_op {
	SV_OP_REQUIRE = 1, SV_OP_IF, SV_OP_ELSIF, SV_OP_ELSE, SV_OP_STOP,
	SV_OP_KEEP, SV_OP_DISCARD, SV_OP_REDIRECT, SV_OP_FILEINTO, SV_OP_REJECT,
	SV_OP_EREJECT, SV_OP_VACATION, SV_OP_SETFLAG, SV_OP_ADDFLAG,
	SV_OP_REMOVEFLAG, SV_OP_SET,
	/* tests */
	SV_OP_ADDRESS, SV_OP_ENVELOPE, SV_OP_HEADER, SV_OP_EXISTS, SV_OP_SIZE,
	SV_OP_ALLOF, SV_OP_ANYOF, SV_OP_NOT, SV_OP_TRUE, SV_OP_FALSE,
	SV_OP_HASFLAG, SV_OP_STRING, SV_OP_MAILBOXEXISTS, SV_OP_BODY, SV_OP_DATE,
	SV_OP_CURRENTDATE,
};

struct sieve_program {
	struct sv_node *cmds;
	size_t ncmds;
	bool variables;         /* "variables" required: strings expand */
};

/* sieve_parse.c */
void sv_node_free(struct sv_node *n);

/* sieve_check.c: resolves every node of P (see above).  Returns 0, or -1
 * with ERR filled. */
int sv_check(struct sieve_program *p, struct sieve_error *err);
/* The value of tagged argument NAME of N, or NULL; *PRESENT (may be
 * NULL) says whether the tag was given at all. */
const struct sv_arg *sv_tagged(const struct sv_node *n, const char *name, bool *present);

/* ---- matching (sieve_match.c) ---- */

enum sv_cmp { SV_CMP_OCTET, SV_CMP_CASEMAP, SV_CMP_NUMERIC };
enum sv_mt { SV_MT_IS, SV_MT_CONTAINS, SV_MT_MATCHES, SV_MT_VALUE, SV_MT_COUNT };
enum sv_rel { SV_REL_GT, SV_REL_GE, SV_REL_LT, SV_REL_LE, SV_REL_EQ, SV_REL_NE };

#define SV_MATCH_VARS 10

struct sv_match {
	enum sv_cmp cmp;
	enum sv_mt mt;
	enum sv_rel rel;
	/* :matches: what each wildcard matched (${1}..${9}), ${0} all */
	char *vars[SV_MATCH_VARS];
	size_t *steps;          /* the run's step counter */
};

/* Sets M from node N's :comparator, match type and relation. */
void sv_match_init(struct sv_match *m, const struct sv_node *n, size_t *steps);
/* True when VALUE matches KEY (not for :count).  A :matches success
 * sets M->vars (when CAPTURE).  -1: out of memory. */
int sv_match_one(struct sv_match *m, const char *value, const char *key, bool capture);
/* The relation of two values under the comparator (relational). */
bool sv_relate(const struct sv_match *m, const char *a, const char *b);
void sv_match_clear(struct sv_match *m);

/* ---- variables (sieve_vars.c) ---- */

/* A growing string, NUL-terminated once anything was added; at most MAX
 * bytes (more is cut). */
struct sv_buf {
	char *s;
	size_t len, cap, max;
};

/* Appends N bytes at P to B.  -1: out of memory. */
int sv_buf_add(struct sv_buf *b, const char *p, size_t n);

#define SV_VAR_MAX 128          /* variables per run */
#define SV_VALUE_MAX 4096       /* bytes in a variable or expanded string */

struct sv_var {
	char *name, *value;
};

struct sv_vars {
	struct sv_var v[SV_VAR_MAX];
	size_t n;
	char *match[SV_MATCH_VARS];
};

/* The string S with ${name} and ${N} replaced: a malloc'ed string, NULL
 * when out of memory.  Unknown variables are empty (RFC 5229 3). */
char *sv_expand(const struct sv_vars *vs, const char *s);
/* Sets NAME to VALUE (copied, cut at SV_VALUE_MAX).  -1: too many
 * variables or out of memory. */
int sv_var_set(struct sv_vars *vs, const char *name, const char *value);
void sv_vars_clear(struct sv_vars *vs);
/* True when S is a valid variable name (RFC 5229 3). */
bool sv_var_name_ok(const char *s);
/* Replaces S (malloc'ed) by the result of the encoded-character
 * extension (RFC 5228 2.4.2.4).  -1 with ERR text on a bad encoding. */
int sv_decode_encoded(char **s, char *why, size_t whylen);

/* ---- a run (sieve_eval.c commands, sieve_test.c tests) ---- */

struct sv_run {
	const struct sieve_program *p;
	const struct sieve_message *msg;
	struct sieve_result *out;
	size_t hlen;            /* the message's header block */
	struct sv_vars vars;
	char *flags;            /* imap4flags' internal variable */
	size_t steps;
	int redirects;
	bool implicit_keep, stopped, failed;
	bool kept, filed, rejected, vacationed;
};

/* Marks R failed with WHY (the first failure wins); returns -1. */
int sv_fail(struct sv_run *r, const char *why);
/* S with variables expanded (a copy without "variables"); NULL after
 * sv_fail() when out of memory. */
char *sv_str(struct sv_run *r, const char *s);
/* The value of flag variable NAME (NULL: the internal one), "" if unset. */
const char *sv_flags_get(const struct sv_run *r, const char *name);
/* Calls ADD(ARG, s) with each text the body test N looks at (RFC 5173;
 * S malloc'ed, NULL when out of memory).  Returns 0 or -1 (sv_fail
 * called). */
int sv_body_each(struct sv_run *r, const struct sv_node *n, void (*add)(void *arg, char *s),
                 void *arg);
/* sieve_eval.c: a new action of KIND at the end of the result; NULL
 * after sv_fail() (too many actions, out of memory). */
struct sieve_action *sv_add_action(struct sv_run *r, enum sieve_action_kind kind);
/* Commands of their own files: 0, or -1 after sv_fail(). */
int sv_flag_command(struct sv_run *r, const struct sv_node *n);    /* sieve_flags.c */
int sv_vacation(struct sv_run *r, const struct sv_node *n);        /* sieve_vacation.c */
int sv_set(struct sv_run *r, const struct sv_node *n);             /* sieve_vars.c */
/* The flags keep or fileinto N files with, cleaned (sieve_flags.c):
 * malloc'ed, NULL after sv_fail(). */
char *sv_action_flags(struct sv_run *r, const struct sv_node *n);

/* sieve_date.c: the date part a date or currentdate test N looks at,
 * into OUT.  Returns 0, 1 when the message has no such date (the test
 * has no value), -1 after sv_fail(). */
int sv_date_value(struct sv_run *r, const struct sv_node *n, char *out, size_t size);
/* True when PART is a date part of RFC 5260 4 ("year", "iso8601", ...). */
bool sv_date_part_ok(const char *part);
/* sieve_index.c: header_each() over the occurrences of field NAME that
 * test N looks at (all, or the one its :index and :last pick; RFC 5260
 * 6).  Returns how many there were (0 or 1 with :index). */
int sv_field_each(const struct sv_run *r, const struct sv_node *n, const char *name,
                  int (*each)(const char *value, size_t len, void *arg), void *arg);
/* Test N: 1 true, 0 false, -1 failed (sv_fail called). */
int sv_test(struct sv_run *r, const struct sv_node *n);

#endif
