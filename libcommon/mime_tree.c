/*
 * mime_tree.c - the memory of a MIME tree: an arena of chunks, so that
 * a tree of many parts and strings is freed at once and the parsers
 * need no cleanup paths.  See mime_internal.h.
 */
#include "log.h"
#include "mime_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of a chunk; larger requests get a chunk of their own. */
#define CHUNK_SIZE 8192

struct chunk {
	struct chunk *next;
	size_t used, size;
	max_align_t data[];
};

struct mime_arena {
	struct chunk *head;
};

struct mime_tree *mime_tree_new(void)
{
	struct mime_tree *t = calloc(1, sizeof *t);
	if (t == NULL || (t->arena = calloc(1, sizeof *t->arena)) == NULL) {
		free(t);
		log_error("mime", "error=\"out of memory\"");
		return NULL;
	}
	return t;
}

void mime_free(struct mime_tree *t)
{
	if (t == NULL)
		return;
	struct chunk *c = t->arena->head;
	while (c != NULL) {
		struct chunk *next = c->next;
		free(c);
		c = next;
	}
	free(t->arena);
	free(t);
}

static struct chunk *new_chunk(struct mime_tree *t, size_t size)
{
	struct chunk *c = malloc(sizeof *c + size);
	if (c == NULL) {
		t->oom = true;
		return NULL;
	}
	c->used = 0;
	c->size = size;
	c->next = t->arena->head;
	t->arena->head = c;
	return c;
}

void *mime_alloc(struct mime_tree *t, size_t len)
{
	size_t al = sizeof(max_align_t);
	size_t need = (len + al - 1) / al * al;
	struct chunk *c = t->arena->head;
	if (len > SIZE_MAX / 2)
		return t->oom = true, NULL;
	if (c == NULL || c->size - c->used < need) {
		c = new_chunk(t, need > CHUNK_SIZE / 4 ? need : CHUNK_SIZE);
		if (c == NULL)
			return NULL;
	}
	char *p = (char *)c->data + c->used;
	c->used += need;
	memset(p, 0, len);
	return p;
}

char *mime_strndup(struct mime_tree *t, const char *s, size_t len)
{
	char *p = mime_alloc(t, len + 1);
	if (p != NULL) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}
