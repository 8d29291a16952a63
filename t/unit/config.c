/* Unit tests for libcommon/config.c: every kind of bad setting is reported
 * as FILE:LINE, all of them at once; defaults; lists; paths and
 * EMS_STATE_DIR; programming errors abort; the shipped etc/ files load. */
#include "config.h"
#include "config_schema.h"
#include "tap.h"

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char path[PATH_MAX];

static struct ems_config *load_text(const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return NULL;
	fputs(text, f);
	fclose(f);
	return config_load(path);
}

/* True when the last load's errors hold the line "<path>:LINE: NEEDLE...". */
static int has_error(int line, const char *needle)
{
	char want[PATH_MAX + 300];

	snprintf(want, sizeof want, "%s:%d: %s", path, line, needle);
	for (const char *e = config_errors(); (e = strstr(e, want)) != NULL; e++)
		if (e == config_errors() || e[-1] == '\n')
			return 1;
	diag("errors were: %s", config_errors());
	diag("wanted: %s", want);
	return 0;
}

/* Loads TEXT expecting failure with exactly one error, at LINE, that
 * starts with NEEDLE. */
static void refused(const char *what, const char *text, int line,
                    const char *needle)
{
	struct ems_config *cfg = load_text(text);
	const char *e = config_errors();
	const char *nl = strchr(e, '\n');

	ok(cfg == NULL && has_error(line, needle) && nl != NULL && nl[1] == '\0',
	   "%s: refused, line %d named", what, line);
	config_free(cfg);
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_defaults(void)
{
	struct ems_config *cfg = config_load(NULL);
	int n = -1;

	ok(cfg != NULL && config_errors()[0] == '\0', "pure defaults load");
	if (cfg == NULL)
		return;
	is_int(config_int(cfg, "pop3.idle_timeout_s"), 600, "default POP3 idle timeout");
	is_int(config_int(cfg, "imap.idle_timeout_s"), 1800, "default IMAP idle timeout");
	is_int(config_int(cfg, "store.busy_timeout_ms"), 5000, "default busy timeout");
	is_int(config_int(cfg, "lmtp.max_message_size"), 52428800, "default LMTP size limit");
	is_int(config_int(cfg, "guardian.fail_count"), 5, "default crash-loop count");
	is_str(config_str(cfg, "log.level"), "info", "default log level");
	ok(!config_bool(cfg, "log.syslog"), "syslog off by default");
	is_str(config_str(cfg, "user"), "ems", "default user");
	is_str(config_str(cfg, "auth.login_separators"), "@", "default login separator");
	is_str(config_path(cfg, "state_dir"), "/var/lib/ems", "default state directory");
	is_str(config_path(cfg, "store"), "/var/lib/ems/store.db", "default store path");
	is_str(config_path(cfg, "log_dir"), "/var/lib/ems/log", "default log directory");
	is_str(config_path(cfg, "run_dir"), "/var/lib/ems/run", "default run directory");
	is_str(config_path(cfg, "tls_certificate"), "/var/lib/ems/tls/cert.pem",
	       "default certificate");
	const char *node = config_path(cfg, "node");
	ok(node[0] != '\0' && strchr(node, '.') == NULL,
	   "default node is the short host name (%s)", node);
	is_int(config_list_len(cfg, "processes"), 0, "no processes by default");
	const char **allow = config_strlist(cfg, "access.allow", &n);
	ok(allow != NULL && n == 0 && allow[0] == NULL, "absent string array is empty");
	free(allow);
	config_free(cfg);
}

static void test_errors(void)
{
	refused("unknown key", "log = {\n  levle = \"info\";\n};\n", 2,
	        "unknown setting 'log.levle' (known here: level, syslog)");
	refused("unknown top-level key", "\npop4 = { banner = \"x\"; };\n", 2,
	        "unknown setting 'pop4'");
	refused("out of range", "\n\npop3 = { idle_timeout_s = 5; };\n", 3,
	        "pop3.idle_timeout_s must be an integer between 600 and 86400, got 5");
	refused("string for an integer", "store = { busy_timeout_ms = \"fast\"; };\n",
	        1, "store.busy_timeout_ms must be an integer, got a string");
	refused("float for an integer", "store = { busy_timeout_ms = 1.5; };\n", 1,
	        "store.busy_timeout_ms must be an integer, got a floating-point number");
	refused("integer for a boolean", "log = { syslog = 1; };\n", 1,
	        "log.syslog must be true or false, got an integer");
	refused("string for a group", "log = \"debug\";\n", 1,
	        "log must be a group { ... }, got a string");
	refused("bad word", "log = { level = \"loud\"; };\n", 1,
	        "log.level must be one of error|warn|info|debug, got \"loud\"");
	refused("bad value in a list element",
	        "processes = (\n { name = \"A\"; program = \"a\"; },\n"
	        " { name = \"B\";\n   program = \"b\";\n"
	        "   instances = ( { maxclt = -1; } ); }\n);\n", 5,
	        "processes[1].instances[0].maxclt must be an integer between 0 and 100000, got -1");
	refused("unknown key in a list element",
	        "listeners = (\n { service = \"pop\"; port = 110; adress = \"::\"; }\n);\n",
	        2, "unknown setting 'listeners[0].adress'");
	refused("missing required key", "processes = ( { program = \"a\"; } );\n", 1,
	        "processes[0] needs a setting 'name'");
	refused("non-string in a string list",
	        "access = {\n allow = ( \"pop: ALL\",\n 3 );\n};\n", 3,
	        "access.allow[1] must be a string, got an integer");
	refused("32-bit literal that libconfig would wrap",
	        "processes = ( { name = \"A\"; program = \"a\";\n"
	        "  instances = ( { maxclt = 4294967297; } ); } );\n", 2,
	        "integer 4294967297 is too large for a 32-bit value");
	refused("64-bit literal out of range", "lmtp = { max_message_size = 8589934592L; };\n",
	        1, "lmtp.max_message_size must be an integer between 1024 and 4294967296");
	refused("syntax error", "log = {\n level = \"info\";\n syslog = ;\n};\n", 3,
	        "syntax error");
	refused("duplicate key", "log = {\n level = \"info\";\n level = \"warn\";\n};\n", 3,
	        "duplicate setting name");
}

static void test_several_errors(void)
{
	struct ems_config *cfg = load_text(
	    "user = 5;\nlog = { level = \"x\"; };\npop3 = { banner = 1; };\n"
	    "listeners = ( { service = \"smtp\"; port = 0; } );\n");

	ok(cfg == NULL, "a file with several errors is refused");
	ok(has_error(1, "user must be a string") &&
	   has_error(2, "log.level must be one of") &&
	   has_error(3, "pop3.banner must be a string") &&
	   has_error(4, "listeners[0].service must be one of pop|imap|lmtp") &&
	   has_error(4, "listeners[0].port must be an integer between 1 and 65535"),
	   "every error is reported with its line");
	is_int(count_lines(config_errors()), 5, "one line per error");
	cfg = config_load(NULL);
	is_str(config_errors(), "", "a later good load clears the errors");
	config_free(cfg);
}

static void test_good_file(void)
{
	int n = 0;
	struct ems_config *cfg = load_text(
	    "node = \"n1\";\npaths = { state_dir = \"/srv/ems\"; log_dir = \"/var/log/x\"; };\n"
	    "processes = ( { name = \"POP3SRV\"; program = \"pop3srv\";\n"
	    "  instances = ( { maxclt = 10; }, { flags = 0x40; autostart = false; } ); } );\n"
	    "access = { allow = [ \"pop: ALL\", \"imap: 10.0.0.0/8\" ]; };\n"
	    "lmtp = { max_message_size = 3000000000L; };\n");

	ok(cfg != NULL, "a good file loads");
	if (cfg == NULL)
		return;
	const struct conf_node *root = config_root(cfg);
	const struct conf_node *proc = conf_elem(root, "processes", 0);
	is_int(config_list_len(cfg, "processes"), 1, "list length");
	is_str(conf_str(proc, "name"), "POP3SRV", "string in a list element");
	is_int(conf_line(proc), 3, "element knows its line");
	ok(conf_elem(root, "processes", 1) == NULL && conf_elem(root, "processes", -1) == NULL,
	   "element out of range is NULL");
	is_int(conf_count(proc, "instances"), 2, "nested list length");
	is_int(conf_int(conf_elem(proc, "instances", 0), "maxclt"), 10, "nested integer");
	is_int(conf_int(conf_elem(proc, "instances", 1), "flags"), 64, "hex integer");
	ok(conf_bool(conf_elem(proc, "instances", 0), "autostart") &&
	   !conf_bool(conf_elem(proc, "instances", 1), "autostart"),
	   "booleans, with the default inside an element");
	is_int(conf_int(conf_elem(proc, "instances", 0), "flags"), 0,
	       "default integer inside an element");
	is_int(config_int(cfg, "lmtp.max_message_size"), 3000000000LL, "64-bit integer");
	const char **allow = config_strlist(cfg, "access.allow", &n);
	ok(allow != NULL && n == 2 && strcmp(allow[0], "pop: ALL") == 0 &&
	   strcmp(allow[1], "imap: 10.0.0.0/8") == 0 && allow[2] == NULL,
	   "string array read back");
	free(allow);
	is_str(conf_str_at(root, "access.allow", 1), "imap: 10.0.0.0/8", "string array element");
	ok(conf_str_at(root, "access.allow", 2) == NULL, "string array element out of range");
	is_str(config_path(cfg, "node"), "n1", "node from the file");
	is_str(config_path(cfg, "log_dir"), "/var/log/x", "path set in the file");
	is_str(config_path(cfg, "run_dir"), "/srv/ems/run", "path derived from state_dir");
	is_str(config_file(cfg), path, "config_file names the file");
	config_free(cfg);
}

static void test_paths(void)
{
	char cwd[PATH_MAX], want[PATH_MAX + 32];
	struct ems_config *cfg;

	if (getcwd(cwd, sizeof cwd) == NULL)
		cwd[0] = '\0';
	cfg = load_text("paths = { state_dir = \"st\"; };\ntls = { key = \"/k.pem\"; };\n");
	snprintf(want, sizeof want, "%s/st/store.db", cwd);
	ok(cfg != NULL, "relative state_dir loads");
	is_str(cfg ? config_path(cfg, "store") : NULL, want,
	       "relative paths are taken from the current directory");
	is_str(cfg ? config_path(cfg, "tls_key") : NULL, "/k.pem", "tls.key set in the file");
	config_free(cfg);

	setenv("EMS_STATE_DIR", "/tmp/st", 1);
	cfg = load_text("paths = { state_dir = \"/srv/ems\"; store = \"/x.db\";\n"
	                "  run_dir = \"/run/x\"; };\ntls = { certificate = \"/c.pem\"; };\n");
	is_str(cfg ? config_path(cfg, "state_dir") : NULL, "/tmp/st",
	       "EMS_STATE_DIR overrides paths.state_dir");
	is_str(cfg ? config_path(cfg, "store") : NULL, "/tmp/st/store.db",
	       "the store follows an overridden state directory");
	is_str(cfg ? config_path(cfg, "run_dir") : NULL, "/tmp/st/run",
	       "the run directory follows it");
	is_str(cfg ? config_path(cfg, "tls_key") : NULL, "/tmp/st/tls/key.pem",
	       "an unset TLS key follows it");
	is_str(cfg ? config_path(cfg, "tls_certificate") : NULL, "/c.pem",
	       "a TLS certificate set in the file stays");
	config_free(cfg);
	setenv("EMS_STATE_DIR", "rel", 1);
	cfg = config_load(NULL);
	snprintf(want, sizeof want, "%s/rel/log", cwd);
	is_str(cfg ? config_path(cfg, "log_dir") : NULL, want,
	       "a relative EMS_STATE_DIR is made absolute");
	config_free(cfg);
	unsetenv("EMS_STATE_DIR");
}

/* True when FN(cfg) kills a child with SIGABRT. */
static int aborts(void (*fn)(const struct ems_config *))
{
	struct ems_config *cfg = config_load(NULL);
	int status = 0;
	pid_t pid = fork();

	if (pid == 0) {
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(2);
		fn(cfg);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	config_free(cfg);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void ask_unknown(const struct ems_config *cfg)
{
	(void)config_int(cfg, "pop3.idle_timeout");
}

static void ask_wrong_type(const struct ems_config *cfg)
{
	(void)config_str(cfg, "pop3.idle_timeout_s");
}

static void ask_unknown_path(const struct ems_config *cfg)
{
	(void)config_path(cfg, "spool");
}

/* The source tree: $EMS_SRC, else four levels above this binary
 * (SRC/build/t/unit/config). */
static void source_dir(char *out, size_t size)
{
	const char *src = getenv("EMS_SRC");
	char exe[PATH_MAX];
	ssize_t n;

	if (src != NULL && *src != '\0') {
		snprintf(out, size, "%s", src);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = '\0';
	for (int i = 0; i < 4; i++) {
		char *slash = strrchr(exe, '/');
		if (slash != NULL)
			*slash = '\0';
	}
	snprintf(out, size, "%s", exe[0] ? exe : "/");
}

static struct ems_config *shipped(const char *name)
{
	char src[PATH_MAX], file[PATH_MAX + 16];
	struct ems_config *cfg;

	source_dir(src, sizeof src);
	snprintf(file, sizeof file, "%s/etc/%s", src, name);
	unsetenv("EMS_STATE_DIR");
	cfg = config_load(file);
	if (!ok(cfg != NULL, "shipped etc/%s loads without errors", name))
		diag("%s", config_errors());
	return cfg;
}

/* Every row of the schema is usable: its parent exists, its default is
 * in its range or among its words, and no path is there twice. */
static void test_schema(void)
{
	int bad = 0;

	for (unsigned i = 0; i < conf_schema_len; i++) {
		const struct conf_key *k = &conf_schema[i];
		char parent[256], word[64];
		const char *dot = strrchr(k->path, '.');

		if (dot != NULL) {
			snprintf(parent, sizeof parent, "%.*s", (int)(dot - k->path), k->path);
			const struct conf_key *pk = conf_schema_find(parent);
			bool list_elem = strcmp(dot, ".[]") == 0;
			if (pk == NULL || pk->type != (list_elem ? CT_LIST : CT_GROUP)) {
				diag("%s: parent %s missing or of the wrong type", k->path, parent);
				bad++;
			}
		}
		if (conf_schema_find(k->path) != k) {
			diag("%s: listed twice", k->path);
			bad++;
		}
		if (k->type == CT_INT && !k->required &&
		    (k->dflt_int < k->min || k->dflt_int > k->max)) {
			diag("%s: default %lld outside %lld..%lld", k->path, k->dflt_int,
			     k->min, k->max);
			bad++;
		}
		snprintf(word, sizeof word, "|%s|", k->dflt_str ? k->dflt_str : "");
		char words[256];
		snprintf(words, sizeof words, "|%s|", k->words ? k->words : "");
		if (k->type == CT_ENUM && !k->required && strstr(words, word) == NULL) {
			diag("%s: default %s not among %s", k->path, k->dflt_str, k->words);
			bad++;
		}
	}
	is_int(bad, 0, "the schema table is consistent (%u keys)", conf_schema_len);
}

/* man/ems.conf.5 names every key: top-level paths in full, keys inside
 * list elements by their last part. */
static void test_manual(void)
{
	char src[PATH_MAX], file[PATH_MAX + 32], *text;
	FILE *f;
	long size;
	int missing = 0;

	source_dir(src, sizeof src);
	snprintf(file, sizeof file, "%s/man/ems.conf.5", src);
	f = fopen(file, "r");
	ok(f != NULL, "man/ems.conf.5 exists");
	if (f == NULL)
		return;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)size + 1);
	if (text == NULL || fread(text, 1, (size_t)size, f) != (size_t)size)
		size = -1;
	fclose(f);
	for (unsigned i = 0; size >= 0 && i < conf_schema_len; i++) {
		const char *p = conf_schema[i].path;
		const char *elem = strstr(p, "[].");
		const char *name = elem ? strrchr(p, '.') + 1 : p;
		if (strcmp(p + strlen(p) - 2, "[]") == 0)
			continue;
		if (strstr(text, name) == NULL) {
			diag("man/ems.conf.5 does not mention %s", p);
			missing++;
		}
	}
	ok(size >= 0 && missing == 0, "man/ems.conf.5 documents every schema key");
	free(text);
}

/* "service:address:port:flags" of each listener, space-separated. */
static void listeners_of(const struct ems_config *cfg, char *out, size_t size)
{
	const struct conf_node *root = config_root(cfg);
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; i < conf_count(root, "listeners") && used < size; i++) {
		const struct conf_node *l = conf_elem(root, "listeners", i);
		used += (size_t)snprintf(out + used, size - used, "%s%s:%s:%lld:%lld",
		                         i ? " " : "", conf_str(l, "service"),
		                         conf_str(l, "address"), conf_int(l, "port"),
		                         conf_int(l, "flags"));
	}
}

static void test_shipped(void)
{
	char buf[1024];
	size_t used = 0;
	struct ems_config *cfg = shipped("ems.conf");

	if (cfg != NULL) {
		const struct conf_node *root = config_root(cfg);
		buf[0] = '\0';
		for (int i = 0; i < conf_count(root, "processes"); i++) {
			const struct conf_node *p = conf_elem(root, "processes", i);
			used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s=%s",
			                         i ? " " : "", conf_str(p, "name"),
			                         conf_str(p, "program"));
		}
		is_str(buf, "IOLISTENER=iolistener POP3SRV=pop3srv IMAP4SRV=imap4srv "
		       "SIEVESRV=sievesrv SMTPGW=smtpgw Postman=postman Collector=collector "
		       "Monitor=monitor Statistics=statistics",
		       "ems.conf registers the suite's processes");
		listeners_of(cfg, buf, sizeof buf);
		ok(strstr(buf, "pop:0.0.0.0:110:0") && strstr(buf, "pop:0.0.0.0:995:64") &&
		   strstr(buf, "imap:0.0.0.0:143:0") && strstr(buf, "imap:0.0.0.0:993:64"),
		   "ems.conf listens on 110, 995 (TLS), 143, 993 (TLS): %s", buf);
		ok(strstr(buf, "sieve:0.0.0.0:4190:0") != NULL, "and ManageSieve on 4190: %s", buf);
		is_str(config_path(cfg, "log_dir"), "/var/log/ems", "installed log directory");
	}
	config_free(cfg);

	cfg = shipped("ems-dev.conf");
	if (cfg != NULL) {
		listeners_of(cfg, buf, sizeof buf);
		is_str(buf, "pop:127.0.0.1:1110:0 pop:127.0.0.1:1195:64 "
		       "imap:127.0.0.1:1143:0 imap:127.0.0.1:1193:64 "
		       "lmtp:127.0.0.1:1124:0 sieve:127.0.0.1:1190:0",
		       "ems-dev.conf uses the high ports");
		is_str(config_str(cfg, "log.level"), "debug", "ems-dev.conf logs debug");
		is_str(config_path(cfg, "node"), "dev", "ems-dev.conf node");
		ok(config_list_len(cfg, "processes") > 0, "ems-dev.conf registers processes");
	}
	config_free(cfg);
}

int main(void)
{
	snprintf(path, sizeof path, "%s/ems.conf", tap_tmpdir());
	unsetenv("EMS_STATE_DIR");

	test_defaults();
	test_errors();
	test_several_errors();
	test_good_file();
	test_paths();
	ok(config_load("/nonexistent/ems.conf") == NULL &&
	   strstr(config_errors(), "/nonexistent/ems.conf:0: cannot read the file") != NULL,
	   "a missing file is reported with line 0");
	ok(aborts(ask_unknown), "asking for a key not in the schema aborts");
	ok(aborts(ask_wrong_type), "asking with the getter of another type aborts");
	ok(aborts(ask_unknown_path), "asking for an unknown path name aborts");
	test_shipped();
	test_schema();
	test_manual();
	done_testing();
	return exit_status();
}
