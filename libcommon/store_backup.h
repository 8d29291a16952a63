/*
 * store_backup.h - whole-store copies for `oomgr backup` and `oomgr
 * restore` (part of store.h).  These work on files by path, not on an
 * open struct store: a backup reads the live store beside the running
 * suite, a restore checks a file before it becomes the store.
 *
 * HOW A COPY STAYS CONSISTENT WITHOUT STOPPING MAIL.  store_copy() holds
 * one read transaction on the source for the whole copy and feeds
 * SQLite's online backup API from it, PACE pages per step.  In WAL mode a
 * reader sees one snapshot and never blocks a writer, so delivery and IMAP
 * go on while the copy runs and the copy is exactly the store as it was
 * when the copy began; what the WAL gains meanwhile waits for the next
 * checkpoint after the copy.  (Without the held transaction each step
 * would read a newer snapshot, and sqlite3_backup_step(3) restarts a copy
 * whose source another process changed between steps; VACUUM INTO also
 * reads one snapshot, but rebuilds every table and index, which costs
 * more CPU than copying pages, and cannot say how far it is.)
 */
#ifndef EMS_STORE_BACKUP_H
#define EMS_STORE_BACKUP_H

#include <stdint.h>

/* How a copy paces itself: PAGES per step, then a pause of PAUSE_MS so
 * the copy does not take the disk and a CPU away from delivery. */
struct store_copy_pace {
	int pages;
	int pause_ms;
};

#define STORE_COPY_PAGES    256     /* 1 MB at SQLite's 4 KB pages */
#define STORE_COPY_PAUSE_MS 5

/* Called after every step: DONE of TOTAL pages of PAGE_SIZE bytes. */
typedef void store_copy_progress(void *ctx, long done, long total, long page_size);

/*
 * Copies the SQLite database FROM (which must exist; it is opened read
 * only) into the new file TO, created with mode 0600 (it must not exist),
 * paced by PACE and reporting to PROGRESS (may be NULL) with CTX.  Waits
 * up to BUSY_TIMEOUT_MS for locks.  TO is synced to disk before this
 * returns 0.  Returns -1 after logging why (TO is then removed).
 */
int store_copy(const char *from, const char *to, int busy_timeout_ms,
               const struct store_copy_pace *pace, store_copy_progress *progress,
               void *ctx);

/* What store_file_check() found. */
enum store_file_verdict {
	STORE_FILE_OK,          /* an ems store this ems can open */
	STORE_FILE_UNREADABLE,  /* missing, no permission, not SQLite */
	STORE_FILE_CORRUPT,     /* integrity_check found damage (in PROBLEM) */
	STORE_FILE_NOT_EMS,     /* SQLite, but no ems schema version */
	STORE_FILE_NEWER,       /* written by a newer ems */
};

struct store_file_info {
	enum store_file_verdict verdict;
	int version;            /* schema version (PRAGMA user_version) */
	int64_t bytes;          /* pages times page size */
	int64_t persons, messages, entries;   /* rows, when the verdict is OK */
	char problem[256];      /* integrity_check's first line, or SQLite's error */
};

/*
 * Checks the file PATH without changing it: PRAGMA integrity_check, the
 * schema version (1 to STORE_SCHEMA_VERSION; an older one migrates on
 * the next store_open()) and, for a good file, its size and how many
 * persons, messages and mailbox entries it holds.  Fills INFO; returns 0
 * when the verdict is STORE_FILE_OK, else -1 (not logged: the caller
 * says it).
 */
int store_file_check(const char *path, struct store_file_info *info);

/*
 * Whether any process has the store PATH open: tries for the exclusive
 * lock without waiting (a connection that has read a WAL database holds
 * a shared lock on it until it closes).  When none has it, the WAL is checkpointed into
 * the file before the lock is dropped, so the file alone is the whole
 * store.  Returns 0 when the store is free (or PATH does not exist), 1
 * when it is in use, -1 on another failure (logged).
 */
int store_file_in_use(const char *path);

#endif
