/*
 * config.c - loads ems.conf with libconfig, has config_check.c validate
 * it against the schema (config_schema.c) and config_numbers.c its
 * integer literals, resolves the paths, and
 * answers typed lookups with the schema's defaults; see config.h.  Every
 * ems program reads its configuration through here.
 */
#include "config.h"
#include "config_check.h"
#include "config_schema.h"
#include "log.h"

#include <libconfig.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONFIG_DEFAULTS_NAME "(defaults)"
#define NODE_FALLBACK        "localhost"
/* Longest dotted schema path a lookup builds. */
#define CONFIG_KEY_MAX       256

struct ems_config {
	config_t lc;
	char file[PATH_MAX];
	char node[HOST_NAME_MAX + 1];
	char state_dir[PATH_MAX], store[PATH_MAX], log_dir[PATH_MAX],
	     run_dir[PATH_MAX], spool_dir[PATH_MAX], tls_certificate[PATH_MAX],
	     tls_key[PATH_MAX];
};

/* A programming error, not a configuration one: say what and stop. */
static void misuse(const char *what, const char *path)
    __attribute__((noreturn));

static void misuse(const char *what, const char *path)
{
	fprintf(stderr, "config: %s '%s'\n", what, path);
	abort();
}

/* ---- paths ---- */

/* Writes PATH to OUT (PATH_MAX bytes), made absolute from the current
 * directory.  Returns 0, or -1 (recorded) when it does not fit. */
static int absolute(const struct ems_config *cfg, char *out, const char *path)
{
	char cwd[PATH_MAX];
	int n;

	if (path[0] == '/')
		n = snprintf(out, PATH_MAX, "%s", path);
	else if (getcwd(cwd, sizeof cwd) == NULL)
		n = -1;
	else
		n = snprintf(out, PATH_MAX, "%s/%s", cwd, path);
	if (n < 0 || n >= PATH_MAX) {
		config_error(cfg->file, 0, "cannot make an absolute path of '%s'",
		             path);
		return -1;
	}
	return 0;
}

/* OUT = VALUE when set, else <state_dir>/SUB; absolute either way. */
static int derive(const struct ems_config *cfg, char *out, const char *value,
                  const char *sub)
{
	char joined[PATH_MAX];

	if (value != NULL && *value != '\0')
		return absolute(cfg, out, value);
	if (snprintf(joined, sizeof joined, "%s/%s", cfg->state_dir, sub) >=
	    (int)sizeof joined) {
		config_error(cfg->file, 0, "path too long under %s", cfg->state_dir);
		return -1;
	}
	return absolute(cfg, out, joined);
}

static void resolve_node(struct ems_config *cfg)
{
	const char *node = config_str(cfg, "node");

	if (*node != '\0') {
		snprintf(cfg->node, sizeof cfg->node, "%s", node);
		return;
	}
	if (gethostname(cfg->node, sizeof cfg->node - 1) < 0)
		cfg->node[0] = '\0';
	cfg->node[strcspn(cfg->node, ".")] = '\0';
	if (cfg->node[0] == '\0')
		snprintf(cfg->node, sizeof cfg->node, "%s", NODE_FALLBACK);
}

static int resolve_paths(struct ems_config *cfg)
{
	const char *env = getenv("EMS_STATE_DIR");
	bool moved = env != NULL && *env != '\0';

	if (absolute(cfg, cfg->state_dir,
	             moved ? env : config_str(cfg, "paths.state_dir")) < 0)
		return -1;
	/* A moved state directory takes everything derived from it along. */
	if (derive(cfg, cfg->store, moved ? NULL : config_str(cfg, "paths.store"),
	           "store.db") < 0 ||
	    derive(cfg, cfg->log_dir,
	           moved ? NULL : config_str(cfg, "paths.log_dir"), "log") < 0 ||
	    derive(cfg, cfg->run_dir,
	           moved ? NULL : config_str(cfg, "paths.run_dir"), "run") < 0 ||
	    derive(cfg, cfg->spool_dir,
	           moved ? NULL : config_str(cfg, "paths.spool_dir"), "spool") < 0 ||
	    derive(cfg, cfg->tls_certificate, config_str(cfg, "tls.certificate"),
	           "tls/cert.pem") < 0 ||
	    derive(cfg, cfg->tls_key, config_str(cfg, "tls.key"),
	           "tls/key.pem") < 0)
		return -1;
	resolve_node(cfg);
	return 0;
}

const char *config_path(const struct ems_config *cfg, const char *name)
{
	static const struct {
		const char *name;
		size_t offset;
	} names[] = {
		{ "state_dir", offsetof(struct ems_config, state_dir) },
		{ "store", offsetof(struct ems_config, store) },
		{ "log_dir", offsetof(struct ems_config, log_dir) },
		{ "run_dir", offsetof(struct ems_config, run_dir) },
		{ "spool_dir", offsetof(struct ems_config, spool_dir) },
		{ "tls_certificate", offsetof(struct ems_config, tls_certificate) },
		{ "tls_key", offsetof(struct ems_config, tls_key) },
		{ "node", offsetof(struct ems_config, node) },
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(name, names[i].name) == 0)
			return (const char *)cfg + names[i].offset;
	misuse("config_path: no path named", name);
}

/* ---- loading ---- */

/* Parses PATH into CFG; returns 0, or -1 after recording why. */
static int read_file(struct ems_config *cfg, const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');

	if (access(path, R_OK) < 0) {
		config_error(path, 0, "cannot read the file: %m");
		return -1;
	}
	/* "@include" names files relative to the including one. */
	snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1,
	         slash ? path : ".");
	config_set_include_dir(&cfg->lc, dir[0] ? dir : "/");
	if (config_read_file(&cfg->lc, path) != CONFIG_TRUE) {
		const char *f = config_error_file(&cfg->lc);
		config_error(f ? f : path, config_error_line(&cfg->lc), "%s",
		             config_error_text(&cfg->lc));
		return -1;
	}
	int rc = 0;
	for (unsigned i = 0; i < cfg->lc.num_filenames; i++)
		if (config_check_numbers(cfg->lc.filenames[i]) < 0)
			rc = -1;
	return config_check(&cfg->lc, path) < 0 ? -1 : rc;
}

struct ems_config *config_load(const char *path)
{
	struct ems_config *cfg = calloc(1, sizeof *cfg);

	config_errors_reset();
	if (cfg == NULL) {
		config_error(path ? path : CONFIG_DEFAULTS_NAME, 0, "out of memory");
		return NULL;
	}
	config_init(&cfg->lc);
	snprintf(cfg->file, sizeof cfg->file, "%s",
	         path ? path : CONFIG_DEFAULTS_NAME);
	if ((path != NULL && read_file(cfg, path) < 0) || resolve_paths(cfg) < 0) {
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

#define TYPE(t) (1u << (t))

/* The schema row for PATH under NODE, which must be of one of TYPES. */
static const struct conf_key *key_for(const struct conf_node *node,
                                      const char *path, unsigned types)
{
	char sp[CONFIG_KEY_MAX];
	const struct conf_key *parent =
	    config_setting_get_hook((const config_setting_t *)node);
	int n = snprintf(sp, sizeof sp, "%s%s%s", parent ? parent->path : "",
	                 parent ? "." : "", path);
	const struct conf_key *k = n < (int)sizeof sp ? conf_schema_find(sp) : NULL;

	if (k == NULL)
		misuse("not in the schema:", sp);
	if ((TYPE(k->type) & types) == 0)
		misuse("read with the getter of another type:", sp);
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
	const struct conf_key *k = key_for(node, path, TYPE(CT_INT));
	const config_setting_t *s = lookup(node, path);

	return s ? config_setting_get_int64(s) : k->dflt_int;
}

bool conf_bool(const struct conf_node *node, const char *path)
{
	const struct conf_key *k = key_for(node, path, TYPE(CT_BOOL));
	const config_setting_t *s = lookup(node, path);

	return s ? config_setting_get_bool(s) != 0 : k->dflt_int != 0;
}

const char *conf_str(const struct conf_node *node, const char *path)
{
	const struct conf_key *k =
	    key_for(node, path, TYPE(CT_STRING) | TYPE(CT_ENUM));
	const config_setting_t *s = lookup(node, path);

	return s ? config_setting_get_string(s) : (k->dflt_str ? k->dflt_str : "");
}

int conf_count(const struct conf_node *node, const char *path)
{
	key_for(node, path, TYPE(CT_LIST) | TYPE(CT_STRLIST));
	const config_setting_t *s = lookup(node, path);

	return s ? config_setting_length(s) : 0;
}

const struct conf_node *conf_elem(const struct conf_node *node,
                                  const char *path, int i)
{
	key_for(node, path, TYPE(CT_LIST));
	config_setting_t *s = lookup(node, path);

	if (s == NULL || i < 0 || i >= config_setting_length(s))
		return NULL;
	return (const struct conf_node *)config_setting_get_elem(s, (unsigned)i);
}

const char *conf_str_at(const struct conf_node *node, const char *path, int i)
{
	key_for(node, path, TYPE(CT_STRLIST));
	const config_setting_t *s = lookup(node, path);

	if (s == NULL || i < 0 || i >= config_setting_length(s))
		return NULL;
	return config_setting_get_string_elem(s, i);
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

int config_list_len(const struct ems_config *cfg, const char *path)
{
	return conf_count(config_root(cfg), path);
}

const char **config_strlist(const struct ems_config *cfg, const char *path,
                            int *n)
{
	const struct conf_node *root = config_root(cfg);
	int count = conf_count(root, path);
	const char **v;

	key_for(root, path, TYPE(CT_STRLIST));
	*n = 0;
	v = calloc((size_t)count + 1, sizeof *v);
	if (v == NULL) {
		log_error("out_of_memory", "what=config_strlist path=%s", path);
		return NULL;
	}
	for (int i = 0; i < count; i++)
		v[i] = conf_str_at(root, path, i);
	*n = count;
	return v;
}
