/*
 * config_schema.c - every key of ems.conf with its type, range and
 * default: the one table config_load() validates against and the getters
 * take defaults from.  Adding a key is one row here (a key inside list
 * elements is written with "[]": "processes.[].name") and its entry in
 * man/ems.conf.5.  REQ* rows must be present in their enclosing group.
 */
#include "config_schema.h"

#include <string.h>

#define GROUP(p)              { p, CT_GROUP, false, 0, 0, 0, NULL, NULL }
#define LIST(p)               { p, CT_LIST, false, 0, 0, 0, NULL, NULL }
#define INT(p, lo, hi, d)     { p, CT_INT, false, lo, hi, d, NULL, NULL }
#define BOOL(p, d)            { p, CT_BOOL, false, 0, 0, d, NULL, NULL }
#define STR(p, d)             { p, CT_STRING, false, 0, 0, 0, d, NULL }
#define REQSTR(p)             { p, CT_STRING, true, 0, 0, 0, "", NULL }
#define ENUM(p, w, d)         { p, CT_ENUM, false, 0, 0, 0, d, w }
#define REQENUM(p, w)         { p, CT_ENUM, true, 0, 0, 0, "", w }
#define REQINT(p, lo, hi)     { p, CT_INT, true, lo, hi, 0, NULL, NULL }
#define STRLIST(p)            { p, CT_STRLIST, false, 0, 0, 0, NULL, NULL }

const struct conf_key conf_schema[] = {
	STR("node", ""),                       /* "" = short host name */
	STR("user", "ems"),
	STR("group", "ems"),

	GROUP("paths"),
	STR("paths.state_dir", "/var/lib/ems"),
	STR("paths.store", ""),
	STR("paths.log_dir", ""),
	STR("paths.run_dir", ""),
	STR("paths.spool_dir", ""),

	GROUP("log"),
	ENUM("log.level", "error|warn|info|debug", "info"),
	BOOL("log.syslog", 0),

	GROUP("store"),
	ENUM("store.backend", "sqlite|postgresql", "sqlite"),
	STR("store.conninfo", ""),                         /* libpq, for postgresql */
	INT("store.busy_timeout_ms", 100, 600000, 5000),
	INT("store.loop_timeout_ms", 100, 60000, 3000),
	INT("store.threads", 0, 16, 1),                    /* 0 = one per CPU */
	GROUP("store.pool"),                               /* max 0 = store.threads */
	INT("store.pool.min", 0, 16, 1),
	INT("store.pool.max", 0, 16, 0),
	INT("store.pool.increment", 1, 16, 1),
	INT("store.pool.idle_timeout_s", 0, 86400, 60),    /* 0 = threads never end */

	GROUP("tls"),
	STR("tls.certificate", ""),
	STR("tls.key", ""),
	STR("tls.chain", ""),
	STR("tls.ciphers", ""),
	STR("tls.password_file", ""),          /* "" = <state_dir>/tls/sslpassword.conf */
	STR("tls.pop3_certificate", ""),       /* installed name; "" = tls.certificate */
	STR("tls.sieve_certificate", ""),
	STR("tls.imap_certificate", ""),
	STR("tls.lmtp_certificate", ""),
	STRLIST("tls.sni"),                    /* installed names chosen by SNI */
	STR("tls.client_ca", ""),              /* CAs of client certificates; "" = none asked */

	GROUP("guardian"),
	INT("guardian.backoff_initial_s", 1, 3600, 1),
	INT("guardian.backoff_max_s", 1, 86400, 60),
	INT("guardian.cooldown_max_s", 1, 86400, 60),  /* FAILED retries */
	INT("guardian.stable_after_s", 1, 86400, 30),
	INT("guardian.fail_count", 1, 32, 5),          /* RESTART_FAIL_MAX */
	INT("guardian.fail_window_s", 1, 86400, 60),
	INT("guardian.shutdown_timeout_s", 1, 3600, 10),
	INT("guardian.nofile", 0, 1048576, 16384),    /* children's RLIMIT_NOFILE */

	LIST("processes"),
	GROUP("processes.[]"),
	REQSTR("processes.[].name"),
	REQSTR("processes.[].program"),
	ENUM("processes.[].role", "auto|listener|worker|service", "auto"),
	LIST("processes.[].instances"),
	GROUP("processes.[].instances.[]"),
	INT("processes.[].instances.[].flags", 0, 65535, 0),
	STR("processes.[].instances.[].confm", ""),
	INT("processes.[].instances.[].maxclt", 0, 100000, 0),
	BOOL("processes.[].instances.[].autostart", 1),
	ENUM("processes.[].instances.[].loglevel", "default|error|warn|info|debug", "default"),
	GROUP("processes.[].instances.[].pool"),           /* the instance's store.pool */
	INT("processes.[].instances.[].pool.min", 0, 16, 1),
	INT("processes.[].instances.[].pool.max", 0, 16, 0),     /* 0 = store.pool's */
	INT("processes.[].instances.[].pool.increment", 1, 16, 1),
	INT("processes.[].instances.[].pool.idle_timeout_s", 0, 86400, 60),

	LIST("listeners"),
	GROUP("listeners.[]"),
	REQENUM("listeners.[].service", "pop|imap|lmtp|sieve"),
	STR("listeners.[].address", "127.0.0.1"),
	REQINT("listeners.[].port", 1, 65535),
	INT("listeners.[].flags", 0, 65535, 0),

	GROUP("access"),
	STRLIST("access.allow"),
	STRLIST("access.deny"),
	STR("access.rules", ""),
	INT("access.dns_timeout_ms", 100, 60000, 2000),   /* host-name lookups */

	GROUP("auth"),
	STR("auth.login_separators", "@"),
	STR("auth.default_domain", ""),
	ENUM("auth.certificate_user", "cn|email|uid", "cn"),  /* SASL EXTERNAL's name */
	INT("auth.plaintextmincipher", 0, 1024, 0),
	BOOL("auth.retrievable_secrets", 0),               /* has_plain_passwords */
	INT("auth.fail_delay_ms", 0, 60000, 1000),
	INT("auth.fail_delay_max_ms", 0, 600000, 15000),
	INT("auth.fail_window_s", 1, 86400, 900),
	INT("auth.addr_lock_failures", 0, 100000, 10),     /* 0 = never lock */
	INT("auth.person_lock_failures", 0, 100000, 30),
	INT("auth.lock_s", 1, 86400, 900),
	INT("auth.threads", 0, 16, 0),                     /* 0 = one per CPU */
	INT("auth.cache_size", 0, 10000000, 10000),        /* entries, 0 = off */
	INT("auth.cache_ttl_s", 0, 86400, 3600),           /* auth_cache_ttl */

	GROUP("pop3"),
	STR("pop3.banner", "ems POP3 server ready"),
	INT("pop3.idle_timeout_s", 600, 86400, 600),
	INT("pop3.max_errors", 1, 1000, 20),
	INT("pop3.max_line", 512, 65536, 2048),

	GROUP("sieve"),                                    /* ManageSieve: sievesrv */
	STR("sieve.implementation", "ems ManageSieve"),
	INT("sieve.idle_timeout_s", 60, 86400, 1800),
	INT("sieve.max_errors", 1, 1000, 20),
	INT("sieve.max_scripts", 1, 1000, 20),
	INT("sieve.max_line", 512, 65536, 8192),

	GROUP("imap"),
	STR("imap.banner", "ems IMAP4rev1 server ready"),
	INT("imap.idle_timeout_s", 1800, 86400, 1800),
	INT("imap.message_cap", 0, 100000000, 0),          /* Message-Cap: 0 = all */
	BOOL("imap.server_trace", 0),                      /* Server-Trace */
	INT("imap.trace_synch", 0, 1000000, 0),            /* Trace-Synch */
	INT("imap.trace_literal_max", 0, 1048576, 1024),
	STRLIST("imap.unixgwy"),
	INT("imap.max_append_size", 1024, 1000000000, 52428800),
	INT("imap.max_line", 1024, 1048576, 65536),

	GROUP("lmtp"),
	/* 64-bit: values past 2147483647 are written with an L suffix. */
	INT("lmtp.max_message_size", 1024, 4294967296LL, 52428800),
	STR("lmtp.socket", "lmtp.sock"),       /* in run_dir; "" = none */
	STR("lmtp.address", "127.0.0.1"),
	INT("lmtp.port", 0, 65535, 0),         /* 0 = no TCP socket of its own */
	INT("lmtp.max_recipients", 1, 10000, 1000),
	INT("lmtp.timeout_s", 10, 3600, 300),

	GROUP("outbound"),
	STRLIST("outbound.command"),           /* empty = /usr/sbin/sendmail -i */
	INT("outbound.retry_initial_s", 1, 86400, 60),
	INT("outbound.retry_max_s", 1, 86400, 3600),
	INT("outbound.max_age_s", 1, 2592000, 432000),
	INT("outbound.concurrency", 1, 64, 4),
	INT("outbound.timeout_s", 5, 3600, 300),

	GROUP("postman"),
	INT("postman.interval_s", 1, 3600, 30),
	INT("postman.lease_s", 10, 86400, 300),
	INT("postman.retry_s", 1, 86400, 300),
	INT("postman.quota_grace_s", 0, 2592000, 86400),
	INT("postman.max_received", 5, 500, 30),
	INT("postman.max_expansion", 1, 100000, 1000),
	BOOL("postman.autoreply", 1),          /* the seeds' AutoReplySet */
	BOOL("postman.autoforward", 1),        /* the seeds' AutoForwardSet */
	INT("postman.vacation_days", 1, 365, 7),

	GROUP("collector"),
	INT("collector.interval_s", 1, 86400, 3600),
	INT("collector.expunged_keep_s", 0, 31536000, 86400),
	INT("collector.queue_keep_s", 0, 31536000, 604800),
	INT("collector.message_grace_s", 0, 86400, 300),
	INT("collector.statistics_keep_s", 60, 31536000, 2592000),
	INT("collector.batch", 1, 100000, 500),
	INT("collector.vacuum_pages", 1, 1000000, 2048),

	GROUP("monitor"),
	INT("monitor.interval_s", 1, 3600, 60),
	INT("monitor.heartbeat_timeout_s", 2, 3600, 30),
	INT("monitor.disk_warn_mb", 0, 100000000, 1024),
	INT("monitor.disk_hard_mb", 0, 100000000, 100),
	INT("monitor.store_warn_mb", 0, 100000000, 0),
	INT("monitor.cert_warn_days", 0, 3650, 30),        /* 0 = never warn */

	GROUP("statistics"),
	INT("statistics.interval_s", 1, 86400, 60),
	STR("statistics.prometheus_listen", ""),   /* "" = no endpoint */
};

const unsigned conf_schema_len = sizeof conf_schema / sizeof conf_schema[0];

const struct conf_key *conf_schema_find(const char *path)
{
	for (unsigned i = 0; i < conf_schema_len; i++)
		if (strcmp(conf_schema[i].path, path) == 0)
			return &conf_schema[i];
	return NULL;
}
