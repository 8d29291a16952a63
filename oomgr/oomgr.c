/*
 * oomgr.c - the administrator's client of an ems suite: one-shot
 * (`oomgr disp process`) or interactive at the IOFCMGR> prompt.  Finds
 * the configuration, cuts the input into statements (oomgr_cmd.c) and
 * runs each through the command table below; the process statements talk
 * to the guardian (oomgr_process.c).  See oomgr(8).
 *
 *   oomgr.c                  main, the command table, help
 *   oomgr_cmd.c              input cut into statements, words, key=value
 *   oomgr_lineedit.c         the interactive prompt's line editor
 *   oomgr_process.c          startup, shutdown, refresh, set: the guardian's
 *                            control socket (libcommon/ctlproto.c)
 *   oomgr_display.c          the `disp process` table and its JSON
 *   oomgr_stats.c            `disp stats`; oomgr_chart.c its history chart
 *   oomgr_admin.c            the store session of the directory statements
 *   oomgr_insert.c           insert
 *   oomgr_update.c           update, delete
 *   oomgr_list.c             list, show
 *   oomgr_import.c           import; oomgr_import_mbox.c, _maildir.c read
 *   oomgr_sieve.c            sieve, check sieve: persons' Sieve scripts
 *   oomgr_cert.c             cert; oomgr_cert_make.c generate and request,
 *                            oomgr_cert_install.c install, oomgr_cert_files.c
 *                            where the files go
 *   oomgr_backup.c           backup; oomgr_restore.c restore (the guardian's
 *                            lock file, libcommon/guardian_lock.c)
 *   oomgr_progress.c         the progress bar of the long statements
 */
#include "oomgr.h"
#include "oomgr_admin.h"
#include "oomgr_backup.h"
#include "oomgr_cert.h"

#include "config.h"
#include "config_find.h"
#include "log.h"
#include "oomgr_lineedit.h"

#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define PROMPT          "IOFCMGR> "
#define PROMPT_MORE     "      -> "
#define HISTORY_FILE    ".oomgr_history"
#define EXIT_USAGE      2

struct command {
	const char *verb;
	const char *object;             /* second word, or NULL */
	int (*run)(struct oomgr *o, const struct oomgr_stmt *st);
	const char *usage;
};

static int cmd_help(struct oomgr *o, const struct oomgr_stmt *st);

static const struct command commands[] = {
	{ "startup", NULL, oomgr_startup, "startup all | NAME [INSTANCE]" },
	{ "shutdown", NULL, oomgr_shutdown, "shutdown all | NAME [INSTANCE]" },
	{ "refresh", NULL, oomgr_refresh, "refresh all | NAME" },
	{ "disp", "process", oomgr_disp_process, "disp process [--json]" },
	{ "display", "process", oomgr_disp_process, NULL },
	{ "disp", "stats", oomgr_disp_stats,
	  "disp stats [NAME] | NAME history [counter=C] [period=hour|day] [--json]" },
	{ "display", "stats", oomgr_disp_stats, NULL },
	{ "set", "process", oomgr_set_process,
	  "set process NAME [INSTANCE] param=value ..." },
	{ "insert", NULL, oomgr_insert,
	  "insert domain | person | alias | dlist param=value ..." },
	{ "update", NULL, oomgr_update, "update person | dlist param=value ..." },
	{ "delete", NULL, oomgr_delete, "delete domain | person | alias | dlist NAME=..." },
	{ "list", NULL, oomgr_list,
	  "list domain | person | alias | dlist | folder | message [param=value]" },
	{ "show", NULL, oomgr_show, "show message username=NAME [folder=F] uid=N" },
	{ "whoami", NULL, oomgr_whoami, "whoami" },
	{ "connect", NULL, oomgr_connect, "connect DOMAIN" },
	{ "import", NULL, oomgr_import,
	  "import mbox FILE | maildir DIR person=NAME [folder=F]" },
	{ "sieve", NULL, oomgr_sieve,
	  "sieve list | show | install | activate | deactivate | delete username=NAME "
	  "[name=SCRIPT] [file=FILE] [activate=yes]" },
	{ "check", "sieve", oomgr_check_sieve, "check sieve FILE" },
	{ "cert", NULL, oomgr_cert,
	  "cert generate | request NAME cn=HOST ... | install NAME CERTFILE "
	  "[KEYFILE [CHAINFILE]] | list | show NAME | remove NAME" },
	{ "backup", NULL, oomgr_backup, "backup FILE [step=PAGES] [pause=MS]" },
	{ "restore", NULL, oomgr_restore, "restore FILE (with the suite stopped)" },
	{ "migrate", "store", oomgr_migrate,
	  "migrate store to postgresql CONNINFO (with the suite stopped)" },
	{ "help", NULL, cmd_help, "help" },
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

int oomgr_fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

static int cmd_help(struct oomgr *o, const struct oomgr_stmt *st)
{
	(void)o;
	(void)st;
	printf("Statements end with ';' (see oomgr(8)):\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (commands[i].usage != NULL)
			printf("  %s;\n", commands[i].usage);
	printf("  exit;\n");
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: oomgr [-c FILE] [--json] [STATEMENT ...]\n"
	        "Administers a running ems suite through its guardian.\n"
	        "Without statements it reads them from stdin (the IOFCMGR> "
	        "prompt on a terminal).\n\n"
	        "  -c FILE    configuration (default: $EMS_CONFIG, else "
	        "./run-state/ems.conf,\n"
	        "             else /etc/ems/ems.conf)\n"
	        "  --json     JSON output for disp\n"
	        "  --help     this text\n\n"
	        "Statements:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (commands[i].usage != NULL)
			fprintf(out, "  %s\n", commands[i].usage);
}

const struct ems_config *oomgr_config(struct oomgr *o)
{
	if (o->cfg == NULL) {
		o->cfg = config_load(o->config_path);
		if (o->cfg == NULL)
			oomgr_fail("Cannot use the configuration %s (see above).",
			           o->config_path);
	}
	return o->cfg;
}

static const struct command *lookup(const struct oomgr_stmt *st)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (stmt_word_is(st, 0, commands[i].verb) &&
		    (commands[i].object == NULL ||
		     stmt_word_is(st, 1, commands[i].object)))
			return &commands[i];
	return NULL;
}

/* Runs one statement.  Returns 0 when it succeeded, -1 when it failed, 1
 * for exit/quit. */
static int run_statement(struct oomgr *o, const char *text)
{
	static struct oomgr_stmt st;
	char err[256];
	const struct command *cmd;

	if (oomgr_stmt_parse(text, &st, err, sizeof err) < 0)
		return oomgr_fail("Cannot read the statement: %s.", err);
	if (st.nwords == 0 && st.nparams == 0)
		return 0;
	if (stmt_word_is(&st, 0, "exit") || stmt_word_is(&st, 0, "quit"))
		return 1;
	cmd = lookup(&st);
	if (cmd == NULL)
		return oomgr_fail("Unknown statement: %s%s%s. Type help; for "
		                  "the list.", st.nwords ? st.words[0] : "",
		                  st.nwords > 1 ? " " : "",
		                  st.nwords > 1 ? st.words[1] : "");
	return cmd->run(o, &st);
}

/* One-shot: the arguments joined are the statements; stops at the first
 * that fails. */
static int run_args(struct oomgr *o, int argc, char **argv)
{
	static struct stmt_reader reader;
	static char stmt[STMT_TEXT_MAX + 1];
	char err[256], *text;
	size_t len = 0;
	int rc = 0, r;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	text = calloc(1, len + 1);
	if (text == NULL)
		return oomgr_fail("Out of memory.");
	for (int i = 0; i < argc; i++)
		strcat(strcat(text, argv[i]), " ");
	stmt_reader_init(&reader);
	stmt_reader_feed(&reader, text);
	while (rc == 0 &&
	       (r = stmt_reader_next(&reader, true, stmt, sizeof stmt, err,
	                             sizeof err)) != 0) {
		rc = r < 0 ? oomgr_fail("%s.", err) : run_statement(o, stmt);
	}
	free(text);
	return rc < 0 ? -1 : 0;
}

static void history_path(char *out, size_t size)
{
	const char *home = getenv("HOME");

	out[0] = '\0';
	if (home != NULL && *home != '\0')
		snprintf(out, size, "%s/%s", home, HISTORY_FILE);
}

/* The seeds' "IOFCMGR> exit" has no ';'. */
static bool bare_exit(const char *line)
{
	size_t start = strspn(line, " \t"), len = strlen(line + start);

	while (len > 0 && isspace((unsigned char)line[start + len - 1]))
		len--;
	return len == 4 && (strncasecmp(line + start, "exit", 4) == 0 ||
	                    strncasecmp(line + start, "quit", 4) == 0);
}

/* Interactive or scripted on stdin: goes on after a failed statement. */
static int run_stdin(struct oomgr *o)
{
	static struct stmt_reader reader;
	static char stmt[STMT_TEXT_MAX + 1];
	char err[256], hist[PATH_MAX];
	bool tty = lineedit_interactive(), done = false;
	int failed = 0;

	history_path(hist, sizeof hist);
	if (tty && hist[0] != '\0')
		lineedit_history_load(hist);
	stmt_reader_init(&reader);
	while (!done) {
		bool pending = stmt_reader_pending(&reader);
		char *line = lineedit_read(pending ? PROMPT_MORE : PROMPT);
		char *text = NULL;
		int r;

		if (line == NULL || (!pending && bare_exit(line)) ||
		    asprintf(&text, "%s\n", line) < 0) {
			text = NULL;
			done = true;
		} else if (tty) {
			lineedit_history_add(line);
		}
		stmt_reader_feed(&reader, text != NULL ? text : "");
		while ((r = stmt_reader_next(&reader, done, stmt, sizeof stmt,
		                             err, sizeof err)) != 0) {
			int rc = r < 0 ? oomgr_fail("%s.", err)
			               : run_statement(o, stmt);
			if (rc == 1) {
				done = true;
				break;
			}
			failed |= rc < 0;
		}
		free(text);
		free(line);
	}
	if (tty && hist[0] != '\0')
		lineedit_history_save(hist);
	lineedit_history_free();
	return failed ? -1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct oomgr o;
	const char *conf = NULL;
	int c, rc;

	/* Library warnings would only repeat the sentences printed here. */
	log_set_level(LOG_LVL_ERROR);
	while ((c = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': conf = optarg; break;
		case 'j': o.json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (config_find(conf, o.config_path, sizeof o.config_path) < 0)
		return 1;
	rc = optind < argc ? run_args(&o, argc - optind, argv + optind)
	                   : run_stdin(&o);
	config_free(o.cfg);
	return rc < 0 ? 1 : 0;
}
