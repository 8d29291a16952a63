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
 * so a typo, a wrong type or an out-of-range value is found at start, not
 * when the code first reads the key.  A key absent from the file has the
 * schema's default, so the getters never fail; asking for a key that is
 * not in the schema is a programming error and aborts.
 *
 * Paths: paths.state_dir (default /var/lib/ems; the environment variable
 * EMS_STATE_DIR overrides it) holds the store and, unless set otherwise,
 * the log directory, the run directory (sockets, lock) and the TLS files.
 * See config_path().
 */
#ifndef EMS_CONFIG_H
#define EMS_CONFIG_H

#include <stdbool.h>

struct ems_config;
/* A group or list inside the configuration (a libconfig setting). */
struct conf_node;

/*
 * Loads and validates PATH (NULL: pure defaults).  Returns the
 * configuration, or NULL when the file could not be read or any setting
 * was wrong; every problem is logged (event=config) and the list is
 * available from config_errors() until the next config_load().
 */
struct ems_config *config_load(const char *path);
void config_free(struct ems_config *cfg);

/* Newline-separated "FILE:LINE: message" lines of the last failed load
 * ("" when it succeeded). */
const char *config_errors(void);

/* The file the configuration came from ("(defaults)" for NULL). */
const char *config_file(const struct ems_config *cfg);

/* Typed lookups by dotted path from the top ("pop3.idle_timeout_s").
 * Strings stay valid until config_free(). */
long long config_int(const struct ems_config *cfg, const char *path);
bool config_bool(const struct ems_config *cfg, const char *path);
const char *config_str(const struct ems_config *cfg, const char *path);

/*
 * Resolved paths: "state_dir", "store" (paths.store or
 * <state_dir>/store.db), "log_dir" (paths.log_dir or <state_dir>/log),
 * "run_dir" (paths.run_dir or <state_dir>/run), "tls_certificate" and
 * "tls_key" (tls.certificate / tls.key or <state_dir>/tls/cert.pem and
 * key.pem).  When EMS_STATE_DIR is set it replaces paths.state_dir and the
 * derived paths follow it, whatever the file says.
 */
const char *config_path(const struct ems_config *cfg, const char *name);

/* --- groups and lists (the process registry, listeners) --- */

/* The top-level group. */
const struct conf_node *config_root(const struct ems_config *cfg);
/* Number of elements of the list at PATH under NODE (0 when absent). */
int conf_count(const struct conf_node *node, const char *path);
/* Element I (0-based) of the list at PATH under NODE, or NULL. */
const struct conf_node *conf_elem(const struct conf_node *node,
                                  const char *path, int i);
/* Typed lookups under NODE, with the schema's defaults. */
long long conf_int(const struct conf_node *node, const char *path);
bool conf_bool(const struct conf_node *node, const char *path);
const char *conf_str(const struct conf_node *node, const char *path);
/* Element I of the string array at PATH under NODE, or NULL. */
const char *conf_str_at(const struct conf_node *node, const char *path, int i);
/* The source line of NODE (for messages about it), 0 when unknown. */
int conf_line(const struct conf_node *node);

#endif
