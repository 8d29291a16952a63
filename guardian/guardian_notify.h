/*
 * guardian_notify.h - what the guardian tells systemd (sd_notify(3)):
 * READY=1 once the autostart processes are up, STATUS= with a one-line
 * summary, RELOADING=1 ... READY=1 around a registry reload, STOPPING=1,
 * and WATCHDOG=1 keep-alives when the unit sets WatchdogSec=.  Without
 * NOTIFY_SOCKET in the environment every call does nothing and returns 0.
 */
#ifndef EMS_GUARDIAN_NOTIFY_H
#define EMS_GUARDIAN_NOTIFY_H

#include <stdint.h>

/* Sends READY=1 with STATUS=SUMMARY. */
int notify_ready(const char *summary);

/* Sends RELOADING=1 (with MONOTONIC_USEC, as systemd 253 wants). */
int notify_reloading(void);

/* Sends STOPPING=1. */
int notify_stopping(void);

/* Sends STATUS=SUMMARY. */
int notify_status(const char *summary);

/* Sends WATCHDOG=1. */
int notify_watchdog(void);

/* The interval at which to send WATCHDOG=1 (half of WATCHDOG_USEC), in
 * milliseconds, or 0 when the watchdog is off. */
uint64_t notify_watchdog_interval_ms(void);

/* All return 0 when sent or when there is no NOTIFY_SOCKET, -1 (logged)
 * when sending failed. */

#endif
