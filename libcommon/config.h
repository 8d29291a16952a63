/*
 * config.h - ems.conf: loading, validation against the schema, and typed
 * lookups with defaults.
 *
 * ems.conf is a libconfig file.  Every key ems knows is one row of the
 * schema table in config_schema.c (type, range or allowed words, default,
 * required-ness inside list elements); config_load() checks every setting
 * of the file against it and reports each problem as
 *
 *     FILE:LINE: what is wrong
 *
 * for example
 *
 *     /etc/ems/ems.conf:12: pop3.idle_timeout_s must be an integer
 *     from 600 to 86400, got 5
 *
 * so a typo, a wrong type or an out-of-range value is found at start, not
 * when the code first reads the key.  A key absent from the file has the
 * schema's default, so the getters never fail; asking for a key that is
 * not in the schema, or with the getter of another type, is a programming
 * error: the getter prints the path on stderr and aborts.
 *
 * Paths: paths.state_dir (default /var/lib/ems; the environment variable
 * EMS_STATE_DIR overrides it) holds the store and, unless set otherwise,
 * the log directory, the run directory (sockets, lock) and the TLS files.
 * See config_path().
 *
 * Lists: a list of groups (processes, listeners) is read through
 * struct conf_node, a cursor on one group:
 *
 *     const struct conf_node *root = config_root(cfg);
 *     for (int i = 0; i < conf_count(root, "processes"); i++) {
 *             const struct conf_node *p = conf_elem(root, "processes", i);
 *             printf("%s\n", conf_str(p, "name"));
 *     }
 *
 * Paths given to the conf_* getters are relative to their node and name
 * schema keys ("processes.[].name" above).  Nodes stay valid until
 * config_free().
 */
#ifndef EMS_CONFIG_H
#define EMS_CONFIG_H

#include <stdbool.h>

struct ems_config;
/* A group or list inside the configuration (a libconfig setting). */
struct conf_node;

/*
 * Loads and validates PATH (NULL: pure defaults).  Returns the
 * configuration, which the caller frees with config_free(); or NULL when
 * the file could not be read, did not parse, or had any wrong setting.
 * Every problem found is reported, not only the first: each is logged
 * (event=config error="FILE:LINE: ...") and kept for config_errors().
 * A file that cannot be read is reported with line 0.
 */
struct ems_config *config_load(const char *path);

/* Frees CFG and every string and node taken from it; NULL is ignored. */
void config_free(struct ems_config *cfg);

/* The problems of the last config_load(), one "FILE:LINE: message" per
 * line, each ending in a newline; "" when it succeeded.  Static storage,
 * valid until the next config_load(). */
const char *config_errors(void);

/* The file the configuration came from ("(defaults)" for NULL). */
const char *config_file(const struct ems_config *cfg);

/* Typed lookups by dotted path from the top ("pop3.idle_timeout_s").
 * Strings stay valid until config_free(). */
long long config_int(const struct ems_config *cfg, const char *path);
bool config_bool(const struct ems_config *cfg, const char *path);
const char *config_str(const struct ems_config *cfg, const char *path);

/* Number of elements of the list or string array at PATH ("processes",
 * "access.allow"); 0 when absent. */
int config_list_len(const struct ems_config *cfg, const char *path);

/*
 * The string array at PATH ("access.allow") as a NULL-terminated array;
 * *N receives the number of strings.  The array is the caller's to
 * free(); the strings belong to CFG.  An absent array gives an empty one.
 * Returns NULL (logged) only when out of memory.
 */
const char **config_strlist(const struct ems_config *cfg, const char *path,
                            int *n);

/*
 * Resolved paths, always absolute (a relative path in the file or in
 * EMS_STATE_DIR is taken from the current directory at config_load()):
 *
 *   "state_dir"        paths.state_dir, or $EMS_STATE_DIR when set
 *   "store"            paths.store,     or <state_dir>/store.db
 *   "log_dir"          paths.log_dir,   or <state_dir>/log
 *   "run_dir"          paths.run_dir,   or <state_dir>/run
 *   "spool_dir"        paths.spool_dir, or <state_dir>/spool
 *   "tls_certificate"  tls.certificate, or <state_dir>/tls/cert.pem
 *   "tls_key"          tls.key,         or <state_dir>/tls/key.pem
 *
 * "or" applies when the key is empty (its default) or when EMS_STATE_DIR
 * is set: an overridden state directory takes the store, the log and run
 * directories with it, whatever the file says (the TLS files follow it
 * only when not set).  Also "node": the node name, node or else this
 * machine's short host name, or "localhost".  Any other NAME is a
 * programming error and aborts.  Strings live until config_free().
 */
const char *config_path(const struct ems_config *cfg, const char *name);

/* --- groups and lists (the process registry, listeners) --- */

/* The top-level group. */
const struct conf_node *config_root(const struct ems_config *cfg);
/* Number of elements of the list or array at PATH under NODE (0 when
 * absent). */
int conf_count(const struct conf_node *node, const char *path);
/* Element I (0-based) of the list at PATH under NODE, or NULL when I is
 * out of range. */
const struct conf_node *conf_elem(const struct conf_node *node,
                                  const char *path, int i);
/* Typed lookups under NODE, with the schema's defaults. */
long long conf_int(const struct conf_node *node, const char *path);
bool conf_bool(const struct conf_node *node, const char *path);
const char *conf_str(const struct conf_node *node, const char *path);
/* Element I of the string array at PATH under NODE, or NULL when I is out
 * of range. */
const char *conf_str_at(const struct conf_node *node, const char *path, int i);
/* The source line of NODE (for messages about it), 0 when unknown. */
int conf_line(const struct conf_node *node);

#endif
