/*
 * guardian_overrides.c - reads and writes the `set process` overrides in
 * <state_dir>/registry.conf with libconfig; see guardian_overrides.h.
 */
#include "guardian_overrides.h"

#include "log.h"
#include "params.h"

#include <errno.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MAXCLT_MAX PARAMS_MAXCLT_MAX
#define FLAGS_MAX  PARAMS_FLAGS_MAX

enum param_type { P_INT, P_STRING, P_BOOL, P_LEVEL, P_POOL };

struct param_def {
	const char *name;
	enum param_type type;
	long min, max;
};

/* The parameters `set process` may change, with their ranges (the same
 * as ems.conf's processes entries, see ems.conf(5)). */
static const struct param_def params[] = {
	{ "flags",     P_INT,    0, FLAGS_MAX },
	{ "maxclt",    P_INT,    0, MAXCLT_MAX },
	{ "confm",     P_STRING, 0, 0 },
	{ "loglevel",  P_LEVEL,  0, 0 },
	{ "pool",      P_POOL,   0, 0 },     /* "MIN,MAX,INC,IDLE" or "default" */
	{ "autostart", P_BOOL,   0, 0 },
	{ "instances", P_INT,    0, REGISTRY_INSTANCES_MAX },
};
#define NPARAMS (sizeof params / sizeof params[0])

static const struct param_def *find_param(const char *name)
{
	for (size_t i = 0; i < NPARAMS; i++)
		if (strcasecmp(params[i].name, name) == 0)
			return &params[i];
	return NULL;
}

/* "default" (or "") is the suite's log.level. */
static bool is_level(const char *v)
{
	return *v == '\0' || strcmp(v, "default") == 0 ||
	       log_level_parse(v) >= 0;
}

/* "default" (or "") is ems.conf's store.pool; else --pool's form. */
static bool is_pool(const char *v, struct proc_pool *out)
{
	struct proc_pool ignored;
	return *v == '\0' || strcmp(v, "default") == 0 ||
	       params_pool_parse(v, out != NULL ? out : &ignored) == 0;
}

/* Applying. */

static void set_field(struct inst_spec *spec, const config_setting_t *entry)
{
	int i;
	const char *s;

	if (config_setting_lookup_int(entry, "flags", &i))
		spec->flags = i;
	if (config_setting_lookup_int(entry, "maxclt", &i))
		spec->maxclt = i;
	if (config_setting_lookup_string(entry, "confm", &s))
		snprintf(spec->confm, sizeof spec->confm, "%s", s);
	if (config_setting_lookup_string(entry, "loglevel", &s))
		snprintf(spec->loglevel, sizeof spec->loglevel, "%s",
		         strcmp(s, "default") == 0 ? "" : s);
	if (config_setting_lookup_bool(entry, "autostart", &i))
		spec->autostart = i != 0;
	if (config_setting_lookup_string(entry, "pool", &s)) {
		struct proc_pool pool = { 0, 0, 0, 0 };
		/* checked by check_entry: "default" leaves POOL zero */
		spec->has_pool = is_pool(s, &pool) && pool.max > 0;
		spec->pool = pool;
	}
}

/* Grows or shrinks G to COUNT instances; new ones copy the last. */
static int resize(struct group_spec *g, int count)
{
	struct inst_spec *inst;

	if ((size_t)count == g->ninst)
		return 0;
	inst = realloc(g->inst, (size_t)(count ? count : 1) * sizeof *inst);
	if (inst == NULL) {
		log_error("out_of_memory", "what=registry");
		return -1;
	}
	for (size_t i = g->ninst; i < (size_t)count; i++) {
		if (i > 0)
			inst[i] = inst[i - 1];
		else
			memset(&inst[i], 0, sizeof inst[i]);
	}
	g->inst = inst;
	g->ninst = (size_t)count;
	return 0;
}

static struct group_spec *group_named(struct registry *reg, const char *name)
{
	for (size_t i = 0; i < reg->ngroups; i++)
		if (strcasecmp(reg->groups[i].name, name) == 0)
			return &reg->groups[i];
	return NULL;
}

/* Checks the types and ranges of ENTRY's fields. */
static int check_entry(const char *path, const config_setting_t *entry)
{
	for (size_t i = 0; i < NPARAMS; i++) {
		const config_setting_t *s = config_setting_get_member(entry,
		                                              params[i].name);
		int type = s != NULL ? config_setting_type(s) : 0;
		long v;
		bool good;

		if (s == NULL)
			continue;
		switch (params[i].type) {
		case P_INT:
			v = type == CONFIG_TYPE_INT ? config_setting_get_int(s) : -1;
			good = type == CONFIG_TYPE_INT && v >= params[i].min &&
			       v <= params[i].max;
			break;
		case P_BOOL:
			good = type == CONFIG_TYPE_BOOL;
			break;
		case P_LEVEL:
			good = type == CONFIG_TYPE_STRING &&
			       is_level(config_setting_get_string(s));
			break;
		case P_POOL:
			good = type == CONFIG_TYPE_STRING &&
			       is_pool(config_setting_get_string(s), NULL);
			break;
		default:
			good = type == CONFIG_TYPE_STRING;
			break;
		}
		if (!good) {
			log_error("config_bad_value", "file=%s line=%u key=%s",
			          log_quote(path), config_setting_source_line(s),
			          params[i].name);
			return -1;
		}
	}
	return 0;
}

static int apply_entry(const char *path, struct registry *reg,
                       const config_setting_t *entry, bool counts)
{
	const char *name;
	int instance = 0, count;
	struct group_spec *g;

	if (!config_setting_lookup_string(entry, "name", &name) ||
	    !config_setting_lookup_int(entry, "instance", &instance) ||
	    instance < 0 || check_entry(path, entry) < 0) {
		log_error("config_bad_value", "file=%s line=%u what=%s",
		          log_quote(path), config_setting_source_line(entry),
		          log_quote("override needs name and instance >= 0"));
		return -1;
	}
	g = group_named(reg, name);
	if (g == NULL) {
		if (counts)
			log_warn("override_unknown_process", "file=%s line=%u name=%s",
			         log_quote(path), config_setting_source_line(entry),
			         log_quote(name));
		return 0;
	}
	if (counts)
		return config_setting_lookup_int(entry, "instances", &count)
		       ? resize(g, count) : 0;
	for (size_t i = 0; i < g->ninst; i++)
		if (instance == 0 || (size_t)instance == i + 1)
			set_field(&g->inst[i], entry);
	return 0;
}

/* Pass 1: instance counts; pass 2: instance 0 (all); pass 3: numbered. */
static int apply_list(const char *path, struct registry *reg,
                      const config_setting_t *list)
{
	int n = config_setting_length(list);

	for (int pass = 1; pass <= 3; pass++)
		for (int i = 0; i < n; i++) {
			const config_setting_t *e = config_setting_get_elem(list,
			                                              (unsigned)i);
			int inst = 0;
			config_setting_lookup_int(e, "instance", &inst);
			if (pass == 2 && inst != 0)
				continue;
			if (pass == 3 && inst == 0)
				continue;
			if (apply_entry(path, reg, e, pass == 1) < 0)
				return -1;
		}
	return 0;
}

int overrides_apply(const char *path, struct registry *reg)
{
	config_t cf;
	const config_setting_t *list;
	int rc = 0;

	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	config_init(&cf);
	if (!config_read_file(&cf, path)) {
		log_error("config_error", "file=%s line=%d what=%s",
		          log_quote(config_error_file(&cf) ? config_error_file(&cf)
		                                           : path),
		          config_error_line(&cf),
		          log_quote(config_error_text(&cf)));
		config_destroy(&cf);
		return -1;
	}
	list = config_lookup(&cf, "overrides");
	if (list != NULL && !config_setting_is_list(list)) {
		log_error("config_bad_value", "file=%s line=%u key=overrides "
		          "what=%s", log_quote(path),
		          config_setting_source_line(list), "not_a_list");
		rc = -1;
	} else if (list != NULL) {
		rc = apply_list(path, reg, list);
	}
	config_destroy(&cf);
	return rc;
}

/* Writing. */

/* Parses VALUE for DEF into a libconfig setting under ENTRY. */
static int store_value(config_setting_t *entry, const struct param_def *def,
                       const char *value, char *err, size_t errsz)
{
	config_setting_t *s;
	char *end;
	long v = 0;
	int b = -1;

	config_setting_remove(entry, def->name);
	switch (def->type) {
	case P_INT:
		v = strtol(value, &end, 0);
		if (*value == '\0' || *end != '\0' || v < def->min || v > def->max)
			goto bad;
		s = config_setting_add(entry, def->name, CONFIG_TYPE_INT);
		return s != NULL && config_setting_set_int(s, (int)v) ? 0 : -1;
	case P_BOOL:
		if (!strcasecmp(value, "true") || !strcasecmp(value, "yes") ||
		    !strcmp(value, "1"))
			b = 1;
		else if (!strcasecmp(value, "false") || !strcasecmp(value, "no") ||
		         !strcmp(value, "0"))
			b = 0;
		if (b < 0)
			goto bad;
		s = config_setting_add(entry, def->name, CONFIG_TYPE_BOOL);
		return s != NULL && config_setting_set_bool(s, b) ? 0 : -1;
	case P_LEVEL:
		if (!is_level(value))
			goto bad;
		/* fall through */
	case P_POOL:
		if (def->type == P_POOL && !is_pool(value, NULL))
			goto bad;
		/* fall through */
	default:
		s = config_setting_add(entry, def->name, CONFIG_TYPE_STRING);
		return s != NULL && config_setting_set_string(s, value) ? 0 : -1;
	}
bad:
	if (def->type == P_INT)
		snprintf(err, errsz, "%s must be a number from %ld to %ld, not "
		         "'%s'.", def->name, def->min, def->max, value);
	else if (def->type == P_BOOL)
		snprintf(err, errsz, "%s must be true or false, not '%s'.",
		         def->name, value);
	else if (def->type == P_POOL)
		snprintf(err, errsz, "%s must be default or MIN,MAX,INCREMENT,IDLE_S "
		         "(MIN up to MAX, MAX and INCREMENT 1 to 16, IDLE_S 0 to 86400), "
		         "not '%s'.", def->name, value);
	else
		snprintf(err, errsz, "%s must be default, error, warn, info or "
		         "debug, not '%s'.", def->name, value);
	return -2;
}

/* The entry for NAME/INSTANCE in LIST, created when missing. */
static config_setting_t *entry_for(config_setting_t *list, const char *name,
                                   int instance)
{
	config_setting_t *e, *s;
	int n = config_setting_length(list);

	for (int i = 0; i < n; i++) {
		const char *en;
		int ei;
		e = config_setting_get_elem(list, (unsigned)i);
		if (config_setting_lookup_string(e, "name", &en) &&
		    config_setting_lookup_int(e, "instance", &ei) &&
		    strcasecmp(en, name) == 0 && ei == instance)
			return e;
	}
	e = config_setting_add(list, NULL, CONFIG_TYPE_GROUP);
	if (e == NULL)
		return NULL;
	s = config_setting_add(e, "name", CONFIG_TYPE_STRING);
	if (s == NULL || !config_setting_set_string(s, name))
		return NULL;
	s = config_setting_add(e, "instance", CONFIG_TYPE_INT);
	if (s == NULL || !config_setting_set_int(s, instance))
		return NULL;
	return e;
}

static int write_atomically(config_t *cf, const char *path)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if (!config_write_file(cf, tmp) || rename(tmp, path) < 0) {
		log_error("overrides_write_failed", "path=%s error=%s",
		          log_quote(path), log_quote(strerror(errno)));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int read_or_new(config_t *cf, const char *path, config_setting_t **list)
{
	config_init(cf);
	if (access(path, F_OK) == 0 && !config_read_file(cf, path)) {
		log_error("config_error", "file=%s line=%d what=%s",
		          log_quote(path), config_error_line(cf),
		          log_quote(config_error_text(cf)));
		return -1;
	}
	*list = config_lookup(cf, "overrides");
	if (*list == NULL)
		*list = config_setting_add(config_root_setting(cf), "overrides",
		                           CONFIG_TYPE_LIST);
	return *list != NULL && config_setting_is_list(*list) ? 0 : -1;
}

int overrides_set(const char *path, const char *name, int instance,
                  const char *param, const char *value, char *err,
                  size_t errsz)
{
	const struct param_def *def = find_param(param);
	config_setting_t *list, *entry;
	config_t cf;
	int rc = -1, r;

	if (def == NULL) {
		snprintf(err, errsz, "Unknown parameter %s: use flags, confm, "
		         "maxclt, pool, loglevel, autostart or instances.", param);
		return -1;
	}
	if (strcmp(def->name, "instances") == 0)
		instance = 0;
	if (read_or_new(&cf, path, &list) < 0) {
		snprintf(err, errsz, "%s cannot be read (the guardian's log says "
		         "why).", path);
		goto out;
	}
	entry = entry_for(list, name, instance);
	r = entry == NULL ? -1 : store_value(entry, def, value, err, errsz);
	if (r == -2)
		goto out;
	if (r < 0 || write_atomically(&cf, path) < 0) {
		snprintf(err, errsz, "%s cannot be written (the guardian's log "
		         "says why).", path);
		goto out;
	}
	log_info("override_set", "name=%s instance=%d param=%s value=%s",
	         log_quote(name), instance, def->name, log_quote(value));
	rc = 0;
out:
	config_destroy(&cf);
	return rc;
}
