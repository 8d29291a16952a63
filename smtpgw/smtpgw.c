/*
 * smtpgw.c - main of smtpgw, the gateway between an MTA and the ems
 * store (see smtpgw.h for its parts and smtpgw(8) for its use):
 *
 *   smtpgw [-c ems.conf] -f SENDER [--] RECIPIENT...   mailer mode
 *   smtpgw [-c ems.conf]                               daemon mode
 *
 * Daemon mode is what the guardian runs: the LMTP server and the
 * outbound side on one event loop.
 */
#include "smtpgw.h"

#include "config.h"
#include "evloop.h"
#include "log.h"
#include "params.h"
#include "spool.h"
#include "store.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: smtpgw [OPTIONS] -f SENDER [--] RECIPIENT...   (mailer)\n"
	        "       smtpgw [OPTIONS]                               (LMTP and "
	        "outbound daemon)\n%s"
	        "Mailer exit status (sysexits): 0 stored, 64 usage, 65 not a message,\n"
	        "67 unknown recipient, 69 over lmtp.max_message_size, 73 over the\n"
	        "mailbox quota, 75 try again later.  See smtpgw(8).\n", params_usage);
}

/* Reads "-f SENDER" / "-fSENDER" and an optional "--" from ARGV[*I]. */
static int mailer_args(int argc, char **argv, int *i, const char **sender)
{
	*sender = NULL;
	while (*i < argc && argv[*i][0] == '-') {
		const char *a = argv[*i];
		if (strcmp(a, "--") == 0) {
			(*i)++;
			break;
		}
		if (strncmp(a, "-f", 2) == 0 && a[2] != '\0')
			*sender = a + 2;
		else if (strcmp(a, "-f") == 0 && *i + 1 < argc)
			*sender = argv[++*i];
		else {
			fprintf(stderr, "smtpgw: unknown option %s\n", a);
			return -1;
		}
		(*i)++;
	}
	return 0;
}

static void open_log(const struct ems_config *cfg, const char *prog, int instance)
{
	int level = log_level_parse(config_str(cfg, "log.level"));
	log_open(config_path(cfg, "node"), prog, instance, config_path(cfg, "log_dir"),
	         level < 0 ? LOG_LVL_INFO : (enum log_level)level,
	         config_bool(cfg, "log.syslog"));
}

/* The daemon: the LMTP worker and the outbound side; frees CFG. */
static int run_daemon(struct smtpgw *g, const struct proc_params *p, struct ems_config *cfg)
{
	open_log(cfg, "smtpgw", p->instance);
	signal(SIGPIPE, SIG_IGN);
	spool_prepare(g->spool_dir);   /* a failure is logged; messages stay in memory */
	return lmtp_server_run(g, p, cfg);
}

int main(int argc, char **argv)
{
	static struct smtpgw g;
	struct proc_params p;
	const char *sender;
	int next, rc;

	switch (params_parse(&p, argc, argv, &next)) {
	case PARAMS_HELP: usage(stdout); return 0;
	case PARAMS_ERROR: usage(stderr); return EXIT_USAGE;
	default: break;
	}
	if (mailer_args(argc, argv, &next, &sender) < 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (sender == NULL && next < argc) {
		fprintf(stderr, "smtpgw: recipients need -f SENDER\n");
		return EXIT_USAGE;
	}
	if (sender != NULL && next >= argc) {
		fprintf(stderr, "smtpgw: -f SENDER needs at least one recipient\n");
		return EXIT_USAGE;
	}
	struct ems_config *cfg = config_load(p.config_path);
	if (cfg == NULL)
		return sender != NULL ? EXIT_TEMPFAIL : EXIT_CONFIG;
	g.cfg = cfg;
	g.node = config_path(cfg, "node");
	g.run_dir = config_path(cfg, "run_dir");
	g.spool_dir = config_path(cfg, "spool_dir");
	g.max_size = config_int(cfg, "lmtp.max_message_size");
	g.default_domain = config_str(cfg, "auth.default_domain");
	g.max_received = (int)config_int(cfg, "postman.max_received");
	g.max_expansion = config_int(cfg, "postman.max_expansion");
	if (sender != NULL)
		open_log(cfg, "mailer", 0);
	/* the LMTP server's loop reads with it; the mailer's waits are
	 * bounded but for its COMMIT: on a stalled server the MTA gets a
	 * temporary failure and keeps the message */
	g.store = sender != NULL ? store_open_client(cfg) : store_open_loop(cfg);
	if (g.store == NULL) {
		if (sender != NULL)
			fprintf(stderr, "4.3.0 the mail store is not available, try again later\n");
		rc = sender != NULL ? EXIT_TEMPFAIL : 1;
	} else if (sender != NULL) {
		spool_prepare(g.spool_dir);   /* on failure the message stays in memory */
		rc = smtpgw_mailer(&g, sender, argv + next, argc - next);
	} else {
		rc = run_daemon(&g, &p, cfg);   /* the worker frees cfg */
		cfg = NULL;
	}
	store_close(g.store);
	config_free(cfg);
	log_close();
	return rc;
}
