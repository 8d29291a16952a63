/*
 * mime_internal.h - what the mime_*.c files share and nothing else
 * needs: the tree's memory (an arena: one free releases a whole tree),
 * unfolded field values and the Content-* value parsers.  See mime.h.
 *
 * Allocation failures set tree->oom and return NULL; the parsers go on
 * (a NULL string is just an absent value) and mime_parse() fails at the
 * end when oom is set.
 */
#ifndef EMS_MIME_INTERNAL_H
#define EMS_MIME_INTERNAL_H

#include "header.h"
#include "mime.h"

#include <stddef.h>

/* ---- mime_tree.c ---- */

/* A new, empty tree; NULL when out of memory (logged). */
struct mime_tree *mime_tree_new(void);

/* mime_parse() telling PASSED of the input read through (mime.h). */
struct mime_tree *mime_parse_passing(const char *data, size_t len,
                                     void (*passed)(const char *p, size_t len, void *arg),
                                     void *arg);

/* LEN zeroed bytes owned by T; NULL (and T->oom) when out of memory. */
void *mime_alloc(struct mime_tree *t, size_t len);

/* A NUL-terminated copy of S (LEN bytes) owned by T; NULL as above. */
char *mime_strndup(struct mime_tree *t, const char *s, size_t len);

/* ---- mime_header.c ---- */

/* F's value unfolded as header_unfold() does (header.h reads the
 * fields), owned by T. */
char *mime_field_unfold(struct mime_tree *t, const struct header_field *f);

/*
 * Parses Content-Type value V ("type/subtype; params") into P's type,
 * subtype and params.  Returns 0, or -1 when V is not a media type (P
 * unchanged: the caller keeps its default).
 */
int mime_content_type(struct mime_tree *t, const char *v, struct mime_part *p);

/* Content-Disposition value V into P's disposition and disp_params. */
void mime_content_disposition(struct mime_tree *t, const char *v, struct mime_part *p);

/* Content-Language value V into P's languages. */
void mime_content_language(struct mime_tree *t, const char *v, struct mime_part *p);

/* Content-Transfer-Encoding value V: its token without comments. */
char *mime_token_value(struct mime_tree *t, const char *v);

/* ---- mime_address.c ---- */

/* Address list V (an unfolded From, To, ... value) into OUT. */
void mime_address_list(struct mime_tree *t, const char *v, struct mime_addresses *out);

#endif
