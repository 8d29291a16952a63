/*
 * oomgr_lineedit.h - the IOFCMGR> prompt's line editing and history,
 * without a readline dependency.  On a terminal: left/right, Home/End,
 * Backspace/Delete, Ctrl-A/E/B/F/K/U/W/L, up/down through the history,
 * Ctrl-C drops the line, Ctrl-D on an empty line ends input.  On anything
 * else (a pipe, a file) lines are read plainly and no prompt is shown.
 */
#ifndef EMS_OOMGR_LINEEDIT_H
#define EMS_OOMGR_LINEEDIT_H

#include <stdbool.h>

#define LINEEDIT_LINE_MAX    4096   /* longest line typed at the prompt */
#define LINEEDIT_HISTORY_MAX 500    /* lines kept in the history */

/* True when input comes from a terminal (so a prompt makes sense). */
bool lineedit_interactive(void);

/*
 * Shows PROMPT (terminal only) and reads one line.  Returns it without
 * its newline in a malloc'd string the caller frees, or NULL at the end
 * of input.  Lines longer than LINEEDIT_LINE_MAX are cut on a terminal
 * and returned whole otherwise.
 */
char *lineedit_read(const char *prompt);

/* Appends LINE to the history unless it is blank or repeats the last. */
void lineedit_history_add(const char *line);

/* Loads/saves the history from/to PATH (mode 0600).  Both return 0, or -1
 * (logged at debug level: a missing history is not a problem). */
int lineedit_history_load(const char *path);
int lineedit_history_save(const char *path);

/* Frees the history. */
void lineedit_history_free(void);

#endif
