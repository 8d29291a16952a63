/*
 * config_schema.h - the table of every ems.conf key (config_schema.c),
 * read by config.c.  Adding a key is adding one row there and a line to
 * man/ems.conf.5.
 */
#ifndef EMS_CONFIG_SCHEMA_H
#define EMS_CONFIG_SCHEMA_H

#include <stdbool.h>

enum conf_type {
	CT_GROUP,     /* { ... } */
	CT_LIST,      /* ( { ... }, { ... } ): list of groups */
	CT_INT,       /* 32- or 64-bit integer in [min, max] */
	CT_BOOL,
	CT_STRING,
	CT_ENUM,      /* string, one of the words in 'words' (|-separated) */
	CT_STRLIST,   /* [ "a", "b" ] */
};

struct conf_key {
	const char *path;     /* dotted; list elements are "[]" */
	enum conf_type type;
	bool required;        /* must be present in its enclosing group */
	long long min, max;   /* CT_INT */
	long long dflt_int;   /* CT_INT, CT_BOOL */
	const char *dflt_str; /* CT_STRING, CT_ENUM */
	const char *words;    /* CT_ENUM */
};

extern const struct conf_key conf_schema[];
extern const unsigned conf_schema_len;

/* The row for PATH, or NULL. */
const struct conf_key *conf_schema_find(const char *path);

#endif
