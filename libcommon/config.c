/*
 * config.c - loads ems.conf with libconfig, validates every setting
 * against the schema (config_schema.c) and answers typed lookups with
 * defaults; see config.h.
 */
#include "config.h"
#include "config_schema.h"
#include "log.h"

#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONFIG_ERRORS_MAX 8192
#define CONFIG_PATH_MAX   256   /* longest schema path */

struct ems_config {
	config_t lc;
	char file[PATH_MAX];
	char node[HOST_NAME_MAX + 1];
	char state_dir[PATH_MAX], store[PATH_MAX], log_dir[PATH_MAX],
	     run_dir[PATH_MAX], tls_certificate[PATH_MAX], tls_key[PATH_MAX];
};

static char errors[CONFIG_ERRORS_MAX];
static int error_count;

const char *config_errors(void)
{
	return errors;
}

static void add_error(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_error(const char *file, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	size_t used = strlen(errors);
	char *entry = errors + used;
	snprintf(entry, sizeof errors - used, "%s:%d: %s\n", file, line, msg);
	char *nl = strchr(entry, '\n');
	if (nl != NULL)
		*nl = '\0';   /* log the entry without its newline, then restore it */
	log_error("config", "error=%s", log_quote(entry));
	if (nl != NULL)
		*nl = '\n';
	error_count++;
}

static void setting_error(const struct ems_config *cfg,
                          const config_setting_t *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void setting_error(const struct ems_config *cfg,
                          const config_setting_t *s, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	const char *file = config_setting_source_file(s);
	add_error(file ? file : cfg->file, (int)config_setting_source_line(s), "%s", msg);
}

/* ---- validation ---- */

static void check_setting(struct ems_config *cfg, config_setting_t *s,
                          const char *schema_path, const char *shown);

static const char *type_word(enum conf_type t)
{
	static const char *const words[] = {
		"a group { ... }", "a list ( { ... }, ... )", "an integer",
		"true or false", "a string", "a string", "an array of strings [ ... ]",
	};
	return words[t];
}

static bool word_allowed(const char *words, const char *value)
{
	size_t n = strlen(value);
	for (const char *w = words; *w;) {
		const char *bar = strchr(w, '|');
		size_t len = bar ? (size_t)(bar - w) : strlen(w);
		if (len == n && strncmp(w, value, n) == 0)
			return true;
		if (bar == NULL)
			break;
		w = bar + 1;
	}
	return false;
}

static void check_required(struct ems_config *cfg, config_setting_t *group,
                           const char *schema_path, const char *shown)
{
	size_t plen = strlen(schema_path);
	for (unsigned i = 0; i < conf_schema_len; i++) {
		const struct conf_key *k = &conf_schema[i];
		if (!k->required || strncmp(k->path, schema_path, plen) != 0 ||
		    k->path[plen] != '.' || strchr(k->path + plen + 1, '.'))
			continue;
		if (config_setting_get_member(group, k->path + plen + 1) == NULL)
			setting_error(cfg, group, "%s needs a setting '%s'", shown,
			              k->path + plen + 1);
	}
}

static void check_group(struct ems_config *cfg, config_setting_t *s,
                        const char *schema_path, const char *shown)
{
	char sp[CONFIG_PATH_MAX], sh[CONFIG_PATH_MAX];
	int n = config_setting_length(s);
	for (int i = 0; i < n; i++) {
		config_setting_t *child = config_setting_get_elem(s, (unsigned)i);
		const char *name = config_setting_name(child);
		snprintf(sp, sizeof sp, "%s%s%s", schema_path, *schema_path ? "." : "", name);
		snprintf(sh, sizeof sh, "%s%s%s", shown, *shown ? "." : "", name);
		check_setting(cfg, child, sp, sh);
	}
	check_required(cfg, s, schema_path, shown);
}

static void check_list(struct ems_config *cfg, config_setting_t *s,
                       const char *schema_path, const char *shown)
{
	char sp[CONFIG_PATH_MAX], sh[CONFIG_PATH_MAX];
	int n = config_setting_length(s);
	snprintf(sp, sizeof sp, "%s.[]", schema_path);
	for (int i = 0; i < n; i++) {
		snprintf(sh, sizeof sh, "%s[%d]", shown, i);
		check_setting(cfg, config_setting_get_elem(s, (unsigned)i), sp, sh);
	}
}

static void check_int(struct ems_config *cfg, config_setting_t *s,
                      const struct conf_key *k, const char *shown)
{
	long long v = config_setting_get_int64(s);
	if (v < k->min || v > k->max)
		setting_error(cfg, s, "%s must be an integer from %lld to %lld, got %lld",
		              shown, k->min, k->max, v);
}

static bool type_matches(const struct conf_key *k, int t, config_setting_t *s)
{
	switch (k->type) {
	case CT_GROUP:
		return t == CONFIG_TYPE_GROUP;
	case CT_LIST:
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

static void check_strlist(struct ems_config *cfg, config_setting_t *s,
                          const char *shown)
{
	int n = config_setting_length(s);
	for (int i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			setting_error(cfg, e, "%s[%d] must be a string", shown, i);
	}
}

static void check_setting(struct ems_config *cfg, config_setting_t *s,
                          const char *schema_path, const char *shown)
{
	const struct conf_key *k = conf_schema_find(schema_path);
	if (k == NULL) {
		setting_error(cfg, s, "unknown setting '%s'", shown);
		return;
	}
	config_setting_set_hook(s, (void *)k);
	if (!type_matches(k, config_setting_type(s), s)) {
		setting_error(cfg, s, "%s must be %s", shown, type_word(k->type));
		return;
	}
	switch (k->type) {
	case CT_GROUP:
		check_group(cfg, s, schema_path, shown);
		break;
	case CT_LIST:
		check_list(cfg, s, schema_path, shown);
		break;
	case CT_INT:
		check_int(cfg, s, k, shown);
		break;
	case CT_ENUM:
		if (!word_allowed(k->words, config_setting_get_string(s)))
			setting_error(cfg, s, "%s must be one of %s, got \"%s\"", shown,
			              k->words, config_setting_get_string(s));
		break;
	case CT_STRLIST:
		check_strlist(cfg, s, shown);
		break;
	case CT_BOOL:
	case CT_STRING:
		break;
	}
}

/* ---- paths ---- */

static void derive(char *out, const char *value, const char *state,
                   const char *sub)
{
	int n;
	if (value != NULL && *value != '\0')
		n = snprintf(out, PATH_MAX, "%s", value);
	else
		n = snprintf(out, PATH_MAX, "%s/%s", state, sub);
	if (n < 0 || n >= PATH_MAX)
		add_error("(paths)", 0, "path too long under %s", state);
}

static void resolve_paths(struct ems_config *cfg)
{
	const char *env = getenv("EMS_STATE_DIR");
	bool overridden = env != NULL && *env != '\0';
	snprintf(cfg->state_dir, sizeof cfg->state_dir, "%s",
	         overridden ? env : config_str(cfg, "paths.state_dir"));
	/* Under an overridden state directory every derived path follows it. */
	derive(cfg->store, overridden ? NULL : config_str(cfg, "paths.store"),
	       cfg->state_dir, "store.db");
	derive(cfg->log_dir, overridden ? NULL : config_str(cfg, "paths.log_dir"),
	       cfg->state_dir, "log");
	derive(cfg->run_dir, overridden ? NULL : config_str(cfg, "paths.run_dir"),
	       cfg->state_dir, "run");
	derive(cfg->tls_certificate, config_str(cfg, "tls.certificate"),
	       cfg->state_dir, "tls/cert.pem");
	derive(cfg->tls_key, config_str(cfg, "tls.key"), cfg->state_dir,
	       "tls/key.pem");
	const char *node = config_str(cfg, "node");
	if (*node == '\0') {
		if (gethostname(cfg->node, sizeof cfg->node - 1) < 0)
			strcpy(cfg->node, "localhost");
		cfg->node[strcspn(cfg->node, ".")] = '\0';
	} else {
		snprintf(cfg->node, sizeof cfg->node, "%s", node);
	}
}

const char *config_path(const struct ems_config *cfg, const char *name)
{
	if (strcmp(name, "state_dir") == 0)
		return cfg->state_dir;
	if (strcmp(name, "store") == 0)
		return cfg->store;
	if (strcmp(name, "log_dir") == 0)
		return cfg->log_dir;
	if (strcmp(name, "run_dir") == 0)
		return cfg->run_dir;
	if (strcmp(name, "tls_certificate") == 0)
		return cfg->tls_certificate;
	if (strcmp(name, "tls_key") == 0)
		return cfg->tls_key;
	if (strcmp(name, "node") == 0)
		return cfg->node;
	fprintf(stderr, "config_path: unknown path name '%s'\n", name);
	abort();
}

/* ---- loading ---- */

struct ems_config *config_load(const char *path)
{
	errors[0] = '\0';
	error_count = 0;
	struct ems_config *cfg = calloc(1, sizeof *cfg);
	if (cfg == NULL) {
		add_error(path ? path : "(defaults)", 0, "out of memory");
		return NULL;
	}
	config_init(&cfg->lc);
	snprintf(cfg->file, sizeof cfg->file, "%s", path ? path : "(defaults)");
	if (path != NULL) {
		if (access(path, R_OK) < 0) {
			add_error(path, 0, "cannot read the file: %m");
			config_free(cfg);
			return NULL;
		}
		if (config_read_file(&cfg->lc, path) != CONFIG_TRUE) {
			const char *f = config_error_file(&cfg->lc);
			add_error(f ? f : path, config_error_line(&cfg->lc), "%s",
			          config_error_text(&cfg->lc));
			config_free(cfg);
			return NULL;
		}
		check_group(cfg, config_root_setting(&cfg->lc), "", "");
	}
	if (error_count > 0) {
		config_free(cfg);
		return NULL;
	}
	resolve_paths(cfg);
	if (error_count > 0) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

void config_free(struct ems_config *cfg)
{
	if (cfg == NULL)
		return;
	config_destroy(&cfg->lc);
	free(cfg);
}

const char *config_file(const struct ems_config *cfg)
{
	return cfg->file;
}

/* ---- lookups ---- */

static const struct conf_key *key_for(const struct conf_node *node,
                                      const char *path)
{
	char sp[CONFIG_PATH_MAX];
	const struct conf_key *parent =
	    config_setting_get_hook((const config_setting_t *)node);
	snprintf(sp, sizeof sp, "%s%s%s", parent ? parent->path : "",
	         parent ? "." : "", path);
	const struct conf_key *k = conf_schema_find(sp);
	if (k == NULL) {
		fprintf(stderr, "config: '%s' is not in the schema\n", sp);
		abort();
	}
	return k;
}

static config_setting_t *lookup(const struct conf_node *node, const char *path)
{
	return config_setting_lookup((config_setting_t *)node, path);
}

const struct conf_node *config_root(const struct ems_config *cfg)
{
	return (const struct conf_node *)config_root_setting(&cfg->lc);
}

long long conf_int(const struct conf_node *node, const char *path)
{
	const struct conf_key *k = key_for(node, path);
	config_setting_t *s = lookup(node, path);
	return s ? config_setting_get_int64(s) : k->dflt_int;
}

bool conf_bool(const struct conf_node *node, const char *path)
{
	const struct conf_key *k = key_for(node, path);
	config_setting_t *s = lookup(node, path);
	return s ? config_setting_get_bool(s) != 0 : k->dflt_int != 0;
}

const char *conf_str(const struct conf_node *node, const char *path)
{
	const struct conf_key *k = key_for(node, path);
	config_setting_t *s = lookup(node, path);
	return s ? config_setting_get_string(s) : (k->dflt_str ? k->dflt_str : "");
}

int conf_count(const struct conf_node *node, const char *path)
{
	key_for(node, path);
	config_setting_t *s = lookup(node, path);
	return s ? config_setting_length(s) : 0;
}

const struct conf_node *conf_elem(const struct conf_node *node,
                                  const char *path, int i)
{
	config_setting_t *s = lookup(node, path);
	if (s == NULL || i < 0 || i >= config_setting_length(s))
		return NULL;
	return (const struct conf_node *)config_setting_get_elem(s, (unsigned)i);
}

const char *conf_str_at(const struct conf_node *node, const char *path, int i)
{
	const struct conf_node *e = conf_elem(node, path, i);
	return e ? config_setting_get_string((const config_setting_t *)e) : NULL;
}

int conf_line(const struct conf_node *node)
{
	return (int)config_setting_source_line((const config_setting_t *)node);
}

long long config_int(const struct ems_config *cfg, const char *path)
{
	return conf_int(config_root(cfg), path);
}

bool config_bool(const struct ems_config *cfg, const char *path)
{
	return conf_bool(config_root(cfg), path);
}

const char *config_str(const struct ems_config *cfg, const char *path)
{
	return conf_str(config_root(cfg), path);
}
