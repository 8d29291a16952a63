/*
 * oomgr_backup.h - what oomgr's backup and restore statements share
 * (oomgr_backup.c, oomgr_restore.c): a paced copy of a store file into a
 * temporary file that is kept only when it passes the check, and the
 * replacing of a file by a good copy.
 */
#ifndef EMS_OOMGR_BACKUP_H
#define EMS_OOMGR_BACKUP_H

#include "oomgr.h"
#include "store.h"

/*
 * Copies the store file FROM into the new file TMP with a progress bar,
 * then checks TMP (store_file_check(), INFO gets the result).  Returns 0
 * when TMP is a good store; otherwise removes TMP, says why (naming
 * FROM) and returns -1.
 */
/* 0 when CFG's store is SQLite (a file to copy); else -1 after saying
 * that COMMAND is for SQLite stores only. */
int backup_sqlite_only(const struct ems_config *cfg, const char *command);

int backup_copy_checked(struct oomgr *o, const char *from, const char *tmp,
                        const struct store_copy_pace *pace,
                        struct store_file_info *info);

/* Renames TMP to PATH and syncs PATH's directory, so the name survives a
 * crash.  Returns 0, or -1 after saying why. */
int backup_install(const char *tmp, const char *path);

/* Prints what INFO found, e.g. "schema version 5, 3 persons, 120
 * messages in 140 mailbox entries, 4.2 MB, integrity ok". */
void backup_print_info(const struct store_file_info *info);

/* -1 (said) when a guardian runs with CFG's run_dir (oomgr_restore.c). */
int restore_refuse_when_up(struct oomgr *o, const struct ems_config *cfg);

/* -1 (said) when some process still has the SQLite store STORE open. */
int restore_refuse_when_open(const char *store);

/* The statements. */
int oomgr_backup(struct oomgr *o, const struct oomgr_stmt *st);
int oomgr_restore(struct oomgr *o, const struct oomgr_stmt *st);
/* migrate store to postgresql CONNINFO (oomgr_migrate.c) */
int oomgr_migrate(struct oomgr *o, const struct oomgr_stmt *st);

#endif
