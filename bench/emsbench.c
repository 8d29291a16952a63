/*
 * emsbench.c - the load generator of `make bench`: options, the
 * subcommand table and --help.  The files behind each subcommand are
 * listed in emsbench.h; bench/run.py drives it against ems and a peer.
 */
#include "emsbench.h"

#include <getopt.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "password.h"

static const char USAGE[] =
	"usage: emsbench LOAD [options] [-- mailer command]\n"
	"Runs one load against a mail server and prints its figures as one JSON\n"
	"object on standard output (see emsbench(8)).\n"
	"\n"
	"loads:\n"
	"  lmtp     deliver --count messages over LMTP on --clients connections\n"
	"  mailer   run the command after -- once per message, message on stdin\n"
	"  pop3     whole POP3 sessions (USER, PASS, STAT, RETR all, QUIT) for --seconds\n"
	"  imap     the mixed IMAP workload for --seconds\n"
	"  idle     hold --count IMAP connections in IDLE until stdin ends\n"
	"  push     IDLE on the INBOX of client 0, deliver --count messages over\n"
	"           --lmtp, time the 250 -> * N EXISTS\n"
	"  logins   attempt --rate IMAP logins a second for --seconds (open loop,\n"
	"           spread over --clients threads), time each to its tagged OK\n"
	"  hash     print the password hash ems stores for --password\n"
	"\n"
	"options:\n"
	"  --connect HOST:PORT|PATH   the server under load (IPv4 or unix socket);\n"
	"                             repeated: client i connects to the (i mod N)-th\n"
	"                             of the N given (nodes sharing one store)\n"
	"  --tls                      implicit TLS on those connections\n"
	"  --lmtp HOST:PORT|PATH      push: where deliveries go\n"
	"  --clients N                parallel connections or workers (default 1)\n"
	"  --seconds S                duration of pop3 and imap; idle: no new\n"
	"                             connection after S (default 10)\n"
	"  --count N                  messages, or idle connections (default 100)\n"
	"  --size BYTES               message size (default 2048)\n"
	"  --user FORMAT              login name, %d = client number (default bench%d@bench.test)\n"
	"  --users N                  client numbers wrap at N (default: no wrap)\n"
	"  --password P               login password (default bench)\n"
	"  --rcpt ADDRESS             delivery recipient\n"
	"  --watch-store FILE         ems store.db (or postgresql:CONNINFO): time each\n"
	"                             message into --rcpt's INBOX\n"
	"  --watch-maildir DIR        the same for a Maildir\n"
	"  --timeout-ms MS            bound on every wait (default 30000)\n"
	"  --rate R                   logins: attempts per second (default 1000)\n"
	"  --pace R                   imap: R commands a second in all, spread over the\n"
	"                             clients, each timed from when it was due (default:\n"
	"                             each client sends its next as soon as answered)\n"
	"  --push N                   idle: with --lmtp and --rcpt, deliver N messages\n"
	"                             once all are in IDLE and time 250 -> EXISTS at\n"
	"                             connection 0 (default 0: none)\n"
	"  --help                     this text\n";

void bench_user(const struct bench_opts *o, int i, char *buf, size_t len)
{
	int n = o->users > 0 ? i % o->users : i;
	/* The format is the operator's own --user, with one %d. */
	snprintf(buf, len, o->user_fmt, n);
}

const struct bench_target *bench_target(const struct bench_opts *o, int i)
{
	return &o->targets[(unsigned)i % (unsigned)o->ntargets];
}

/* Parses HOST:PORT or a unix socket path into T; -1 when malformed. */
static int parse_target(const char *arg, struct bench_target *t)
{
	if (arg[0] == '/') {
		if (strlen(arg) >= sizeof t->host)
			return -1;
		strcpy(t->host, arg);
		t->port = 0;
		return 0;
	}
	const char *colon = strrchr(arg, ':');
	if (colon == NULL || colon == arg || (size_t)(colon - arg) >= sizeof t->host)
		return -1;
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 1 || port > 65535)
		return -1;
	memcpy(t->host, arg, (size_t)(colon - arg));
	t->host[colon - arg] = '\0';
	t->port = (int)port;
	return 0;
}

/* One more --connect address; -1 when malformed or one too many. */
static int add_target(const char *arg, struct bench_opts *o)
{
	if (o->ntargets == BENCH_MAX_TARGETS || parse_target(arg, &o->targets[o->ntargets]) < 0)
		return -1;
	o->ntargets++;
	return 0;
}

static int print_hash(const struct bench_opts *o)
{
	char hash[PASSWORD_HASH_MAX];
	if (password_hash(o->password, hash, sizeof hash) < 0)
		return 1;
	puts(hash);
	return 0;
}

/* Room for 10,000 held connections and their peers. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static const struct {
	const char *name;
	int (*run)(const struct bench_opts *o);
} loads[] = {
	{ "lmtp", bench_lmtp }, { "mailer", bench_mailer }, { "pop3", bench_pop3 },
	{ "imap", bench_imap }, { "idle", bench_idle }, { "push", bench_push },
	{ "logins", bench_logins },
	{ "hash", print_hash },
};

static int parse_options(int argc, char **argv, struct bench_opts *o)
{
	static const struct option longopts[] = {
		{ "connect", required_argument, NULL, 'C' },
		{ "tls", no_argument, NULL, 'T' },
		{ "lmtp", required_argument, NULL, 'L' },
		{ "clients", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 'z' },
		{ "user", required_argument, NULL, 'u' },
		{ "users", required_argument, NULL, 'U' },
		{ "password", required_argument, NULL, 'p' },
		{ "rcpt", required_argument, NULL, 'r' },
		{ "watch-store", required_argument, NULL, 'W' },
		{ "watch-maildir", required_argument, NULL, 'M' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "rate", required_argument, NULL, 'R' },
		{ "pace", required_argument, NULL, 'A' },
		{ "push", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	bool tls = false;
	while ((ch = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'C': if (add_target(optarg, o) < 0) return -1; break;
		case 'T': tls = true; break;
		case 'L': if (parse_target(optarg, &o->lmtp) < 0) return -1; break;
		case 'c': o->clients = atoi(optarg); break;
		case 's': o->seconds = atof(optarg); break;
		case 'n': o->count = atoi(optarg); break;
		case 'z': o->size = (size_t)atol(optarg); break;
		case 'u': o->user_fmt = optarg; break;
		case 'U': o->users = atoi(optarg); break;
		case 'p': o->password = optarg; break;
		case 'r': o->rcpt = optarg; break;
		case 'W': o->watch_store = optarg; break;
		case 'M': o->watch_maildir = optarg; break;
		case 't': o->timeout_ms = atoi(optarg); break;
		case 'R': o->rate = atof(optarg); break;
		case 'A': o->pace = atof(optarg); break;
		case 'P': o->push = atoi(optarg); break;
		case 'h': fputs(USAGE, stdout); exit(0);
		default: return -1;
		}
	}
	o->command = optind < argc ? argv + optind : NULL;
	if (o->ntargets == 0)
		o->targets[o->ntargets++] = (struct bench_target){ "127.0.0.1", 143, false };
	for (int i = 0; i < o->ntargets; i++)
		o->targets[i].tls = tls;
	/* One %d and nothing else: the format is used with one int. */
	const char *pct = strchr(o->user_fmt, '%');
	if (o->clients < 1 || o->count < 0 || o->seconds <= 0 || o->timeout_ms < 1 ||
	    o->pace < 0 ||
	    (pct != NULL && (pct[1] != 'd' || strchr(pct + 1, '%') != NULL))) {
		fprintf(stderr, "emsbench: bad option value\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(USAGE, stdout);
		return 0;
	}
	if (argc < 2) {
		fputs(USAGE, stderr);
		return 2;
	}
	struct bench_opts o = {
		.clients = 1, .seconds = 10,
		.count = 100, .size = 2048, .user_fmt = "bench%d@bench.test",
		.password = "bench", .timeout_ms = BENCH_TIMEOUT_MS, .rate = 1000,
	};
	const char *load = argv[1];
	if (parse_options(argc - 1, argv + 1, &o) < 0) {
		fputs(USAGE, stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();
	if (bconn_tls_init() < 0)
		return 1;
	for (size_t i = 0; i < sizeof loads / sizeof loads[0]; i++)
		if (strcmp(load, loads[i].name) == 0)
			return loads[i].run(&o);
	fprintf(stderr, "emsbench: unknown load %s\n", load);
	fputs(USAGE, stderr);
	return 2;
}
