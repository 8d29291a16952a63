/*
 * oomgr_import_maildir.c - reads a Maildir for `oomgr import maildir`:
 * the files of DIR/cur and DIR/new (not its "." subfolders: import those
 * one by one with folder=), in name order, which is delivery order for
 * the usual "time.unique.host" names.  The info suffix ":2,FLAGS" gives
 * the flags (D draft, F flagged, R answered, S seen, T deleted), a file
 * in new/ is \Recent, and the file's modification time is the internal
 * date, as Dovecot and Courier keep it.
 */
#include "oomgr_admin.h"
#include "oomgr_import.h"

#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned name_flags(const char *name, bool in_new)
{
	const char *info = strstr(name, ":2,");
	unsigned flags = in_new ? STORE_FLAG_RECENT : 0;

	for (const char *p = info ? info + 3 : ""; *p != '\0'; p++)
		switch (*p) {
		case 'D': flags |= STORE_FLAG_DRAFT; break;
		case 'F': flags |= STORE_FLAG_FLAGGED; break;
		case 'R': flags |= STORE_FLAG_ANSWERED; break;
		case 'S': flags |= STORE_FLAG_SEEN; break;
		case 'T': flags |= STORE_FLAG_DELETED; break;
		default: break;
		}
	return flags;
}

/* Reads the whole file at PATH into *BUF (grown as needed). */
static int read_file(const char *path, char **buf, size_t *cap, size_t *len,
                     struct stat *sb)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, sb) < 0)
		goto fail;
	if ((size_t)sb->st_size + 1 > *cap) {
		char *b = realloc(*buf, (size_t)sb->st_size + 1);
		if (b == NULL) {
			errno = ENOMEM;
			goto fail;
		}
		*buf = b;
		*cap = (size_t)sb->st_size + 1;
	}
	ssize_t n = read(fd, *buf, (size_t)sb->st_size);
	if (n != sb->st_size)
		goto fail;
	*len = (size_t)n;
	close(fd);
	return 0;
fail:
	oomgr_fail("Cannot read %s: %s.", path, strerror(errno ? errno : EIO));
	if (fd >= 0)
		close(fd);
	return -1;
}

static int regular_entry(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

static int import_dir(struct import_sink *s, const char *dir, struct dirent **list,
                      int n, bool in_new)
{
	char path[PATH_MAX], *buf = NULL;
	size_t cap = 0, len;
	int r = 0;

	for (int i = 0; r == 0 && i < n; i++) {
		struct stat sb = {0};
		snprintf(path, sizeof path, "%s/%s", dir, list[i]->d_name);
		if (read_file(path, &buf, &cap, &len, &sb) < 0) {
			s->failed++;
			continue;
		}
		if (!S_ISREG(sb.st_mode))
			continue;
		r = import_message(s, buf, len, name_flags(list[i]->d_name, in_new), NULL,
		                   (int64_t)sb.st_mtime);
	}
	free(buf);
	return r;
}

int import_maildir(struct import_sink *s, const char *path)
{
	static const char *const subdirs[] = { "cur", "new" };
	struct dirent **lists[2] = { NULL, NULL };
	char dirs[2][PATH_MAX];
	int counts[2], r = 0;

	for (int i = 0; i < 2; i++) {
		snprintf(dirs[i], sizeof dirs[i], "%s/%s", path, subdirs[i]);
		counts[i] = scandir(dirs[i], &lists[i], regular_entry, alphasort);
		if (counts[i] < 0) {
			r = oomgr_fail("%s is no Maildir: cannot read %s (%s).", path, dirs[i],
			               strerror(errno));
			counts[i] = 0;
		}
	}
	if (r == 0) {
		progress_start(&s->progress, (size_t)counts[0] + (size_t)counts[1], "msgs",
		               "msg/s");
		for (int i = 0; r == 0 && i < 2; i++)
			r = import_dir(s, dirs[i], lists[i], counts[i], i == 1);
	}
	for (int i = 0; i < 2; i++) {
		for (int k = 0; k < counts[i]; k++)
			free(lists[i][k]);
		free(lists[i]);
	}
	return r;
}
