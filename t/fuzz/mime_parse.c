/*
 * mime_parse.c - libFuzzer target: a raw message through the MIME
 * parser, the stored form and back (what delivery and FETCH do), and its
 * first line through the RFC 2047 decoder; the input itself is also
 * offered as a stored form, as a damaged store row would be.
 * See mk/fuzz.sh.
 *
 * fuzz-sources:
 */
#include "log.h"
#include "mime.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	size_t len = 0, first = 0;
	char *form, *words;

	log_set_level(LOG_LVL_ERROR);
	form = mime_structure(text, size, &len);
	if (form != NULL) {
		struct mime_tree *t = mime_deserialize(form, len);
		if (t == NULL)
			abort();        /* our own stored form must read back */
		mime_free(t);
		free(form);
	}
	mime_free(mime_deserialize(data, size));
	while (first < size && text[first] != '\n')
		first++;
	words = mime_words_decode(text, first, &len);
	free(words);
	return 0;
}
