/*
 * oomgr_lineedit.c - a small line editor for oomgr's interactive prompt
 * (raw terminal mode, VT100 escapes, an in-memory history saved between
 * sessions); see oomgr_lineedit.h.
 */
#include "oomgr_lineedit.h"

#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define KEY_CTRL(c) ((c) & 0x1f)
#define KEY_BACKSPACE 127
#define KEY_ESC 27

static struct {
	char *lines[LINEEDIT_HISTORY_MAX];
	int count;
} history;

/* The line being edited. */
struct edit {
	char buf[LINEEDIT_LINE_MAX + 1];
	size_t len, pos;
	const char *prompt;
	int hist_index;         /* history.count: the new line */
	char saved[LINEEDIT_LINE_MAX + 1];  /* the new line while browsing */
};

bool lineedit_interactive(void)
{
	const char *term = getenv("TERM");

	return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) &&
	       (term == NULL || strcmp(term, "dumb") != 0);
}

void lineedit_history_add(const char *line)
{
	const char *p = line;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0' ||
	    (history.count > 0 &&
	     strcmp(history.lines[history.count - 1], line) == 0))
		return;
	if (history.count == LINEEDIT_HISTORY_MAX) {
		free(history.lines[0]);
		memmove(history.lines, history.lines + 1,
		        (LINEEDIT_HISTORY_MAX - 1) * sizeof history.lines[0]);
		history.count--;
	}
	char *copy = strdup(line);
	if (copy != NULL)
		history.lines[history.count++] = copy;
}

void lineedit_history_free(void)
{
	for (int i = 0; i < history.count; i++)
		free(history.lines[i]);
	history.count = 0;
}

int lineedit_history_load(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (f == NULL) {
		log_debug("history_unreadable", "path=%s error=%s",
		          log_quote(path), log_quote(strerror(errno)));
		return -1;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		lineedit_history_add(line);
	}
	free(line);
	fclose(f);
	return 0;
}

int lineedit_history_save(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
	int rc = 0;

	if (f == NULL) {
		if (fd >= 0)
			close(fd);
		log_debug("history_unwritable", "path=%s error=%s",
		          log_quote(path), log_quote(strerror(errno)));
		return -1;
	}
	for (int i = 0; i < history.count; i++)
		fprintf(f, "%s\n", history.lines[i]);
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

/* Plain reading, for pipes and files. */
static char *read_plain(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, stdin);

	if (n < 0) {
		free(line);
		return NULL;
	}
	if (n > 0 && line[n - 1] == '\n')
		line[n - 1] = '\0';
	return line;
}

static void put(const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDOUT_FILENO, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

/* Redraws prompt and line, then puts the cursor at e->pos. */
static void refresh(const struct edit *e)
{
	char move[32];

	put("\r", 1);
	put(e->prompt, strlen(e->prompt));
	put(e->buf, e->len);
	put("\x1b[K\r", 4);
	snprintf(move, sizeof move, "\x1b[%zuC", strlen(e->prompt) + e->pos);
	put(move, strlen(move));
}

static void insert_byte(struct edit *e, char c)
{
	if (e->len == LINEEDIT_LINE_MAX)
		return;
	memmove(e->buf + e->pos + 1, e->buf + e->pos, e->len - e->pos);
	e->buf[e->pos++] = c;
	e->len++;
}

static void delete_range(struct edit *e, size_t from, size_t to)
{
	memmove(e->buf + from, e->buf + to, e->len - to);
	e->len -= to - from;
	e->pos = from;
}

static void delete_word_before(struct edit *e)
{
	size_t from = e->pos;

	while (from > 0 && e->buf[from - 1] == ' ')
		from--;
	while (from > 0 && e->buf[from - 1] != ' ')
		from--;
	delete_range(e, from, e->pos);
}

/* Steps through the history: DIR -1 older, +1 newer. */
static void history_step(struct edit *e, int dir)
{
	int next = e->hist_index + dir;
	const char *text;

	if (next < 0 || next > history.count)
		return;
	if (e->hist_index == history.count) {
		memcpy(e->saved, e->buf, e->len);
		e->saved[e->len] = '\0';
	}
	e->hist_index = next;
	text = next == history.count ? e->saved : history.lines[next];
	e->len = strnlen(text, LINEEDIT_LINE_MAX);
	memcpy(e->buf, text, e->len);
	e->pos = e->len;
}

static int read_byte(void)
{
	unsigned char c;

	for (;;) {
		ssize_t n = read(STDIN_FILENO, &c, 1);
		if (n == 1)
			return c;
		if (n < 0 && errno == EINTR)
			continue;
		return -1;
	}
}

/* Handles the rest of an escape sequence (arrows, Home, End, Delete). */
static void escape_sequence(struct edit *e)
{
	int a = read_byte(), b = read_byte();

	if (a != '[' && a != 'O')
		return;
	if (b >= '0' && b <= '9') {
		if (read_byte() != '~')
			return;
		if (b == '3' && e->pos < e->len)
			delete_range(e, e->pos, e->pos + 1);
		else if (b == '1' || b == '7')
			e->pos = 0;
		else if (b == '4' || b == '8')
			e->pos = e->len;
		return;
	}
	switch (b) {
	case 'A': history_step(e, -1); break;
	case 'B': history_step(e, +1); break;
	case 'C': if (e->pos < e->len) e->pos++; break;
	case 'D': if (e->pos > 0) e->pos--; break;
	case 'H': e->pos = 0; break;
	case 'F': e->pos = e->len; break;
	default: break;
	}
}

enum key_result { KEY_MORE, KEY_DONE, KEY_EOF };

static enum key_result handle_key(struct edit *e, int c)
{
	switch (c) {
	case '\r': case '\n':
		return KEY_DONE;
	case KEY_CTRL('C'):
		put("^C", 2);
		e->len = e->pos = 0;
		return KEY_DONE;
	case KEY_CTRL('D'):
		if (e->len == 0)
			return KEY_EOF;
		if (e->pos < e->len)
			delete_range(e, e->pos, e->pos + 1);
		break;
	case KEY_BACKSPACE: case KEY_CTRL('H'):
		if (e->pos > 0)
			delete_range(e, e->pos - 1, e->pos);
		break;
	case KEY_CTRL('A'): e->pos = 0; break;
	case KEY_CTRL('E'): e->pos = e->len; break;
	case KEY_CTRL('B'): if (e->pos > 0) e->pos--; break;
	case KEY_CTRL('F'): if (e->pos < e->len) e->pos++; break;
	case KEY_CTRL('K'): e->len = e->pos; break;
	case KEY_CTRL('U'): delete_range(e, 0, e->pos); break;
	case KEY_CTRL('W'): delete_word_before(e); break;
	case KEY_CTRL('P'): history_step(e, -1); break;
	case KEY_CTRL('N'): history_step(e, +1); break;
	case KEY_CTRL('L'): put("\x1b[H\x1b[2J", 7); break;
	case KEY_ESC: escape_sequence(e); break;
	default:
		if (c >= ' ')
			insert_byte(e, (char)c);
		break;
	}
	return KEY_MORE;
}

static char *read_edited(const char *prompt)
{
	static struct edit e;
	struct termios saved, raw;
	enum key_result r = KEY_MORE;

	if (tcgetattr(STDIN_FILENO, &saved) < 0)
		return read_plain();
	raw = saved;
	raw.c_iflag &= ~(unsigned)(BRKINT | ICRNL | INPCK | ISTRIP | IXON);
	raw.c_lflag &= ~(unsigned)(ECHO | ICANON | IEXTEN | ISIG);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) < 0)
		return read_plain();
	memset(&e, 0, sizeof e);
	e.prompt = prompt;
	e.hist_index = history.count;
	refresh(&e);
	while (r == KEY_MORE) {
		int c = read_byte();
		r = c < 0 ? KEY_EOF : handle_key(&e, c);
		if (r == KEY_MORE)
			refresh(&e);
	}
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
	put("\r\n", 2);
	if (r == KEY_EOF)
		return NULL;
	e.buf[e.len] = '\0';
	return strdup(e.buf);
}

char *lineedit_read(const char *prompt)
{
	if (!lineedit_interactive())
		return read_plain();
	return read_edited(prompt);
}
