# guardian/module.mk - the guardian (supervisor) and oomgr (its admin
# client).  guardian/guardian.c and guardian/oomgr.c open with a map of
# their files.
PROGRAMS += guardian oomgr

guardian_SRCS := guardian/guardian.c guardian/guardian_control.c \
                 guardian/guardian_lock.c guardian/guardian_notify.c \
                 guardian/guardian_overrides.c guardian/guardian_privilege.c \
                 guardian/guardian_procs.c guardian/guardian_registry.c \
                 guardian/guardian_restart.c guardian/guardian_sockets.c \
                 guardian/guardian_spawn.c guardian/guardian_startstop.c \
                 guardian/guardian_heartbeat.c guardian/guardian_landlock.c \
                 guardian/guardian_standin.c

oomgr_SRCS := guardian/oomgr.c guardian/oomgr_cmd.c guardian/oomgr_display.c \
              guardian/oomgr_lineedit.c guardian/oomgr_process.c \
              guardian/oomgr_admin.c guardian/oomgr_insert.c \
              guardian/oomgr_update.c guardian/oomgr_list.c \
              guardian/oomgr_import.c guardian/oomgr_import_mbox.c \
              guardian/oomgr_import_maildir.c guardian/oomgr_progress.c \
              guardian/oomgr_stats.c guardian/oomgr_chart.c \
              guardian/oomgr_cert.c guardian/oomgr_cert_make.c \
              guardian/oomgr_cert_install.c guardian/oomgr_cert_files.c \
              guardian/oomgr_backup.c guardian/oomgr_restore.c \
              guardian/guardian_privilege.c guardian/guardian_lock.c

# Unit tests of program sources (t/unit/NAME.c links these too).
UNIT_EXTRA_oomgr_cmd := guardian/oomgr_cmd.c
UNIT_EXTRA_guardian_restart := guardian/guardian_restart.c
UNIT_EXTRA_guardian_procs := guardian/guardian_procs.c \
                             guardian/guardian_restart.c \
                             guardian/guardian_registry.c \
                             guardian/guardian_overrides.c
UNIT_EXTRA_oomgr_chart := guardian/oomgr_chart.c
