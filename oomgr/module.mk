# oomgr/module.mk - oomgr, the administrator's client of the suite.
# oomgr/oomgr.c opens with a map of its files; what it shares with the
# guardian (the lock file, the children's identity, the control protocol)
# is in libcommon.
PROGRAMS += oomgr

oomgr_SRCS := oomgr/oomgr.c oomgr/oomgr_cmd.c oomgr/oomgr_display.c \
              oomgr/oomgr_lineedit.c oomgr/oomgr_process.c \
              oomgr/oomgr_admin.c oomgr/oomgr_insert.c \
              oomgr/oomgr_update.c oomgr/oomgr_list.c \
              oomgr/oomgr_import.c oomgr/oomgr_import_mbox.c \
              oomgr/oomgr_import_maildir.c oomgr/oomgr_progress.c \
              oomgr/oomgr_stats.c oomgr/oomgr_chart.c \
              oomgr/oomgr_cert.c oomgr/oomgr_cert_make.c \
              oomgr/oomgr_cert_install.c oomgr/oomgr_cert_files.c \
              oomgr/oomgr_backup.c oomgr/oomgr_restore.c oomgr/oomgr_migrate.c \
              oomgr/oomgr_sieve.c

# Unit tests of program sources (t/unit/NAME.c links these too).
UNIT_EXTRA_oomgr_cmd := oomgr/oomgr_cmd.c
UNIT_EXTRA_oomgr_chart := oomgr/oomgr_chart.c
