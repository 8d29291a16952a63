/* Unit tests for libcommon/config.c: every kind of bad value is reported
 * as FILE:LINE, defaults, lists, the shipped files, EMS_STATE_DIR. */
#include "config.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char path[600];

static struct ems_config *load_text(const char *text)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return config_load(path);
}

/* True when the last load's errors contain "<path>:LINE: NEEDLE". */
static int has_error(int line, const char *needle)
{
	char want[800];
	snprintf(want, sizeof want, "%s:%d: %s", path, line, needle);
	if (strstr(config_errors(), want) != NULL)
		return 1;
	diag("errors were: %s", config_errors());
	diag("wanted: %s", want);
	return 0;
}

static void shipped(const char *name)
{
	char file[600];
	const char *src = getenv("EMS_SRC");
	snprintf(file, sizeof file, "%s/etc/%s", src ? src : ".", name);
	struct ems_config *cfg = config_load(file);
	if (!ok(cfg != NULL, "shipped etc/%s loads without errors", name))
		diag("%s", config_errors());
	ok(cfg != NULL && conf_count(config_root(cfg), "processes") > 0,
	   "etc/%s registers processes", name);
	config_free(cfg);
}

int main(void)
{
	struct ems_config *cfg;

	plan(32);
	snprintf(path, sizeof path, "%s/ems.conf", tap_tmpdir());
	unsetenv("EMS_STATE_DIR");

	cfg = config_load(NULL);
	ok(cfg != NULL, "defaults load");
	is_int(config_int(cfg, "pop3.idle_timeout_s"), 600, "default POP3 idle timeout");
	is_str(config_str(cfg, "log.level"), "info", "default log level");
	is_str(config_path(cfg, "store"), "/var/lib/ems/store.db", "default store path");
	config_free(cfg);

	ok(load_text("log = {\n  levle = \"info\";\n};\n") == NULL, "unknown key refused");
	ok(has_error(2, "unknown setting 'log.levle'"), "unknown key named with its line");

	ok(load_text("\n\npop3 = { idle_timeout_s = 5; };\n") == NULL, "out of range refused");
	ok(has_error(3, "pop3.idle_timeout_s must be an integer from 600 to 86400, got 5"),
	   "range error names key, range, value and line");

	ok(load_text("store = { busy_timeout_ms = \"fast\"; };\n") == NULL, "wrong type refused");
	ok(has_error(1, "store.busy_timeout_ms must be an integer"), "type error with line");

	ok(load_text("log = { level = \"loud\"; };\n") == NULL, "bad word refused");
	ok(has_error(1, "log.level must be one of error|warn|info|debug, got \"loud\""),
	   "enum error lists the allowed words");

	ok(load_text("processes = (\n { name = \"A\"; program = \"a\"; },\n"
	             " { name = \"B\";\n   program = \"b\";\n"
	             "   instances = ( { maxclt = -1; } ); }\n);\n") == NULL,
	   "bad value inside a list element refused");
	ok(has_error(5, "processes[1].instances[0].maxclt must be an integer from 0 to 100000"),
	   "list element error shows the element path");

	ok(load_text("processes = ( { program = \"a\"; } );\n") == NULL,
	   "missing required key refused");
	ok(has_error(1, "processes[0] needs a setting 'name'"), "missing key named");

	ok(load_text("log = {\n level = \"info\";\n syslog = ;\n};\n") == NULL,
	   "syntax error refused");
	ok(strstr(config_errors(), path) != NULL && strstr(config_errors(), ":3: ") != NULL,
	   "syntax error has file and line (%s)", config_errors());

	ok(load_text("user = 5;\nlog = { level = \"x\"; };\npop3 = { banner = 1; };\n") == NULL,
	   "several errors in one file");
	ok(has_error(1, "user must be a string") && has_error(2, "log.level") &&
	   has_error(3, "pop3.banner must be a string"), "all of them are reported");

	ok(load_text("access = { allow = [ \"pop: ALL\", 3 ]; };\n") == NULL ||
	   strstr(config_errors(), "access.allow") != NULL, "non-string in a string array refused");

	cfg = load_text("node = \"n1\";\npaths = { state_dir = \"/srv/ems\"; log_dir = \"/var/log/x\"; };\n"
	                "processes = ( { name = \"POP3SRV\"; program = \"pop3srv\";\n"
	                "  instances = ( { maxclt = 10; }, { flags = 64; autostart = false; } ); } );\n"
	                "access = { allow = [ \"pop: ALL\" ]; };\n");
	ok(cfg != NULL, "a good file loads");
	const struct conf_node *root = cfg ? config_root(cfg) : NULL;
	const struct conf_node *proc = root ? conf_elem(root, "processes", 0) : NULL;
	ok(proc && conf_count(proc, "instances") == 2 &&
	   conf_int(conf_elem(proc, "instances", 0), "maxclt") == 10 &&
	   conf_int(conf_elem(proc, "instances", 1), "flags") == 64,
	   "list elements read back");
	ok(proc && conf_bool(conf_elem(proc, "instances", 0), "autostart") &&
	   !conf_bool(conf_elem(proc, "instances", 1), "autostart"),
	   "defaults inside list elements");
	ok(root && strcmp(conf_str_at(root, "access.allow", 0), "pop: ALL") == 0,
	   "string arrays read back");
	ok(cfg && strcmp(config_path(cfg, "log_dir"), "/var/log/x") == 0 &&
	   strcmp(config_path(cfg, "run_dir"), "/srv/ems/run") == 0,
	   "paths derive from state_dir unless set");
	config_free(cfg);

	setenv("EMS_STATE_DIR", "/tmp/st", 1);
	cfg = load_text("paths = { state_dir = \"/srv/ems\"; store = \"/x.db\"; };\n");
	ok(cfg && strcmp(config_path(cfg, "store"), "/tmp/st/store.db") == 0 &&
	   strcmp(config_path(cfg, "tls_key"), "/tmp/st/tls/key.pem") == 0,
	   "EMS_STATE_DIR overrides the state directory and what derives from it");
	config_free(cfg);
	unsetenv("EMS_STATE_DIR");

	ok(config_load("/nonexistent/ems.conf") == NULL &&
	   strstr(config_errors(), "/nonexistent/ems.conf:0: cannot read") != NULL,
	   "missing file reported");
	shipped("ems.conf");
	shipped("ems-dev.conf");
	return exit_status();
}
