/*
 * pq_lib.c - libpq through dlopen (see pq_lib.h for why).
 */
#include "pq_lib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static struct pq_lib lib;
const struct pq_lib *pq_lib;
static char load_err[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Fills lib from HANDLE; on a missing symbol, says which and fails. */
static int resolve(void *handle)
{
#define PQ_LIB_RESOLVE(name) \
	*(void **)&lib.name = dlsym(handle, "PQ" #name); \
	if (lib.name == NULL) { \
		snprintf(load_err, sizeof load_err, "%s has no PQ%s", \
		         PQ_LIB_SONAME, #name); \
		return -1; \
	}
	PQ_LIB_FUNCTIONS(PQ_LIB_RESOLVE)
#undef PQ_LIB_RESOLVE
	return 0;
}

static void load(void)
{
	/* RTLD_LOCAL: libpq's own dependencies stay out of our namespace */
	void *handle = dlopen(PQ_LIB_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (handle == NULL) {
		const char *why = dlerror();
		snprintf(load_err, sizeof load_err,
		         "cannot load %s (Debian package libpq5): %s", PQ_LIB_SONAME,
		         why != NULL ? why : "unknown error");
		return;
	}
	if (resolve(handle) < 0) {
		dlclose(handle);
		return;
	}
	pq_lib = &lib;  /* the handle stays open for the process's life */
}

const struct pq_lib *pq_lib_load(char *err, size_t errlen)
{
	pthread_once(&once, load);
	if (pq_lib == NULL && err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", load_err);
	return pq_lib;
}
