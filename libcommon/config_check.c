/*
 * config_check.c - walks every setting of a parsed ems.conf and checks it
 * against the schema table (config_schema.c), collecting one
 * "FILE:LINE: message" per problem for config_errors().  Used by
 * config_load() only; see config_check.h.
 */
#include "config_check.h"
#include "config.h"
#include "config_schema.h"
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The error text kept for config_errors(): enough for hundreds of lines;
 * past it the log still has every error. */
#define CONFIG_ERRORS_MAX (64 * 1024)
#define CONFIG_MESSAGE_MAX 512
/* Longest dotted path ("processes[12].instances[3].maxclt"). */
#define CONFIG_KEY_MAX 256

static const char truncated_note[] = "(further errors only in the log)\n";

static struct {
	char *text;
	size_t len, cap;
	int count;
	bool full;
} errs;

const char *config_errors(void)
{
	return errs.text != NULL ? errs.text : "";
}

void config_errors_reset(void)
{
	free(errs.text);
	errs.text = NULL;
	errs.len = errs.cap = 0;
	errs.count = 0;
	errs.full = false;
}

int config_error_count(void)
{
	return errs.count;
}

/* Appends LINE and a newline to the kept text, within CONFIG_ERRORS_MAX. */
static void keep_line(const char *line)
{
	size_t n = strlen(line);
	const char *add = line;

	if (errs.full)
		return;
	if (errs.len + n + sizeof truncated_note + 1 > CONFIG_ERRORS_MAX) {
		errs.full = true;
		add = truncated_note;
		n = strlen(truncated_note) - 1;
	}
	if (errs.len + n + 2 > errs.cap) {
		size_t cap = errs.cap ? errs.cap : 1024;
		while (cap < errs.len + n + 2)
			cap *= 2;
		char *text = realloc(errs.text, cap);
		if (text == NULL)
			return;   /* the log has it */
		errs.text = text;
		errs.cap = cap;
	}
	memcpy(errs.text + errs.len, add, n);
	errs.len += n;
	errs.text[errs.len++] = '\n';
	errs.text[errs.len] = '\0';
}

void config_error(const char *file, int line, const char *fmt, ...)
{
	char msg[CONFIG_MESSAGE_MAX], entry[CONFIG_MESSAGE_MAX + 4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(entry, sizeof entry, "%s:%d: %s", file, line, msg);
	log_error("config", "error=%s", log_quote(entry));
	keep_line(entry);
	errs.count++;
}

/* ---- one setting ---- */

/* Where a setting is, for the path and the message. */
struct place {
	const char *file;           /* when libconfig does not know it */
	char schema[CONFIG_KEY_MAX];   /* "processes.[].name" */
	char shown[CONFIG_KEY_MAX];    /* "processes[2].name" */
};

static void check_setting(config_setting_t *s, const struct place *at);

static void setting_error(const struct place *at, const config_setting_t *s,
                          const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void setting_error(const struct place *at, const config_setting_t *s,
                          const char *fmt, ...)
{
	char msg[CONFIG_MESSAGE_MAX];
	va_list ap;
	const char *file = config_setting_source_file(s);

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	config_error(file != NULL ? file : at->file,
	             (int)config_setting_source_line(s), "%s", msg);
}

static const char *wanted_word(enum conf_type t)
{
	switch (t) {
	case CT_GROUP:   return "a group { ... }";
	case CT_LIST:    return "a list ( { ... }, ... )";
	case CT_INT:     return "an integer";
	case CT_BOOL:    return "true or false";
	case CT_STRING:  return "a string";
	case CT_ENUM:    return "a string";
	case CT_STRLIST: return "an array of strings [ \"...\", ... ]";
	}
	return "?";
}

static const char *found_word(int libconfig_type)
{
	switch (libconfig_type) {
	case CONFIG_TYPE_GROUP:  return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:  return "an integer";
	case CONFIG_TYPE_FLOAT:  return "a floating-point number";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_BOOL:   return "a boolean";
	case CONFIG_TYPE_ARRAY:  return "an array";
	case CONFIG_TYPE_LIST:   return "a list";
	}
	return "nothing";
}

static bool type_matches(const struct conf_key *k, const config_setting_t *s)
{
	int t = config_setting_type(s);

	switch (k->type) {
	case CT_GROUP:
		return t == CONFIG_TYPE_GROUP;
	case CT_LIST:   /* "( )" and "[ ]" are the same empty list */
		return t == CONFIG_TYPE_LIST ||
		       (t == CONFIG_TYPE_ARRAY && config_setting_length(s) == 0);
	case CT_INT:
		return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
	case CT_BOOL:
		return t == CONFIG_TYPE_BOOL;
	case CT_STRING:
	case CT_ENUM:
		return t == CONFIG_TYPE_STRING;
	case CT_STRLIST:
		return t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST;
	}
	return false;
}

static bool word_allowed(const char *words, const char *value)
{
	size_t n = strlen(value);

	for (const char *w = words;;) {
		const char *bar = strchr(w, '|');
		size_t len = bar != NULL ? (size_t)(bar - w) : strlen(w);
		if (len == n && strncmp(w, value, n) == 0)
			return true;
		if (bar == NULL)
			return false;
		w = bar + 1;
	}
}

/* Writes the names the schema knows directly under PARENT ("" = top) to
 * OUT, comma-separated, for the message about an unknown one. */
static void known_names(const char *parent, char *out, size_t size)
{
	size_t plen = strlen(parent), used = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < conf_schema_len; i++) {
		const char *p = conf_schema[i].path;
		if (plen > 0 && (strncmp(p, parent, plen) != 0 || p[plen] != '.'))
			continue;
		const char *name = plen > 0 ? p + plen + 1 : p;
		if (strchr(name, '.') != NULL)
			continue;
		int n = snprintf(out + used, size - used, "%s%s",
		                 used > 0 ? ", " : "", name);
		if (n < 0 || (size_t)n >= size - used)
			return;
		used += (size_t)n;
	}
}

static void unknown_setting(const config_setting_t *s, const struct place *at)
{
	char parent[CONFIG_KEY_MAX], names[CONFIG_MESSAGE_MAX / 2];
	const char *dot = strrchr(at->schema, '.');
	size_t plen = dot != NULL ? (size_t)(dot - at->schema) : 0;

	snprintf(parent, sizeof parent, "%.*s", (int)plen, at->schema);
	known_names(parent, names, sizeof names);
	setting_error(at, s, "unknown setting '%s' (known here: %s)", at->shown,
	              names);
}

static void check_required(config_setting_t *group, const struct place *at)
{
	size_t plen = strlen(at->schema);

	for (unsigned i = 0; i < conf_schema_len; i++) {
		const struct conf_key *k = &conf_schema[i];
		if (!k->required || strncmp(k->path, at->schema, plen) != 0 ||
		    k->path[plen] != '.' || strchr(k->path + plen + 1, '.') != NULL)
			continue;
		if (config_setting_get_member(group, k->path + plen + 1) == NULL)
			setting_error(at, group, "%s needs a setting '%s'",
			              at->shown, k->path + plen + 1);
	}
}

/* Fills CHILD's paths: AT's plus SCHEMA_PART and SHOWN_PART (an index
 * such as "[2]" is shown without a dot).  False (reported) when they do
 * not fit. */
static bool descend(const struct place *at, struct place *child,
                    const config_setting_t *s, const char *schema_part,
                    const char *shown_part)
{
	bool index = shown_part[0] == '[';
	int a = snprintf(child->schema, sizeof child->schema, "%s%s%s",
	                 at->schema, *at->schema ? "." : "", schema_part);
	int b = snprintf(child->shown, sizeof child->shown, "%s%s%s",
	                 at->shown, *at->shown && !index ? "." : "", shown_part);

	child->file = at->file;
	if (a < 0 || b < 0 || (size_t)a >= sizeof child->schema ||
	    (size_t)b >= sizeof child->shown) {
		setting_error(at, s, "setting name too long under '%s'", at->shown);
		return false;
	}
	return true;
}

static void check_group(config_setting_t *s, const struct place *at)
{
	struct place child;
	int n = config_setting_length(s);

	for (int i = 0; i < n; i++) {
		config_setting_t *c = config_setting_get_elem(s, (unsigned)i);
		const char *name = config_setting_name(c);
		if (descend(at, &child, c, name, name))
			check_setting(c, &child);
	}
	check_required(s, at);
}

static void check_list(config_setting_t *s, const struct place *at)
{
	struct place child;
	char index[16];
	int n = config_setting_length(s);

	for (int i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		snprintf(index, sizeof index, "[%d]", i);
		if (descend(at, &child, e, "[]", index))
			check_setting(e, &child);
	}
}

static void check_strlist(config_setting_t *s, const struct place *at)
{
	int n = config_setting_length(s);

	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			setting_error(at, e, "%s[%d] must be a string, got %s",
			              at->shown, i,
			              found_word(config_setting_type(e)));
	}
}

static void check_value(config_setting_t *s, const struct conf_key *k,
                        const struct place *at)
{
	long long v;
	const char *word;

	switch (k->type) {
	case CT_GROUP:
		check_group(s, at);
		break;
	case CT_LIST:
		check_list(s, at);
		break;
	case CT_INT:
		v = config_setting_get_int64(s);
		if (v < k->min || v > k->max)
			setting_error(at, s, "%s must be an integer between %lld "
			              "and %lld, got %lld", at->shown, k->min,
			              k->max, v);
		break;
	case CT_ENUM:
		word = config_setting_get_string(s);
		if (!word_allowed(k->words, word))
			setting_error(at, s, "%s must be one of %s, got \"%s\"",
			              at->shown, k->words, word);
		break;
	case CT_STRLIST:
		check_strlist(s, at);
		break;
	case CT_BOOL:
	case CT_STRING:
		break;
	}
}

static void check_setting(config_setting_t *s, const struct place *at)
{
	const struct conf_key *k = conf_schema_find(at->schema);

	if (k == NULL) {
		unknown_setting(s, at);
		return;
	}
	if (!type_matches(k, s)) {
		setting_error(at, s, "%s must be %s, got %s", at->shown,
		              wanted_word(k->type),
		              found_word(config_setting_type(s)));
		return;
	}
	config_setting_set_hook(s, (void *)k);
	check_value(s, k, at);
}

int config_check(config_t *lc, const char *file)
{
	struct place top = { .file = file };
	int before = errs.count;

	check_group(config_root_setting(lc), &top);
	return errs.count > before ? -1 : 0;
}
