/*
 * config_load.c - libFuzzer target: ems.conf text through config_load()
 * (libconfig's parser, then the schema checks); a configuration that
 * loads is read back the way programs read it (paths, the process
 * registry, the listeners, string lists).  See mk/fuzz.sh.
 *
 * fuzz-sources:
 */
#include "config.h"
#include "log.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static void read_back(const struct ems_config *cfg)
{
	static const char *const paths[] = { "state_dir", "store", "log_dir",
	                                     "run_dir", "tls_certificate",
	                                     "tls_key", "node" };
	const struct conf_node *root = config_root(cfg);
	int n = 0;

	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
		config_path(cfg, paths[i]);
	for (int i = 0; i < conf_count(root, "processes"); i++) {
		const struct conf_node *p = conf_elem(root, "processes", i);
		conf_str(p, "name");
		for (int j = 0; j < conf_count(p, "instances"); j++)
			conf_int(conf_elem(p, "instances", j), "maxclt");
	}
	for (int i = 0; i < conf_count(root, "listeners"); i++)
		conf_int(conf_elem(root, "listeners", i), "port");
	free(config_strlist(cfg, "access.allow", &n));
	free(config_strlist(cfg, "tls.sni", &n));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* config_load() reads a file: an anonymous one in memory. */
	int fd = memfd_create("ems.conf", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	log_set_level(LOG_LVL_ERROR);
	if (write(fd, data, size) == (ssize_t)size) {
		char path[64];
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		struct ems_config *cfg = config_load(path);
		if (cfg != NULL)
			read_back(cfg);
		config_free(cfg);
	}
	close(fd);
	return 0;
}
