/*
 * JSON mirror lists (lib/jsonpool.c), the source a JSON pool reads (Tails's
 * mirrors.json). Whatever parses: every entry has a name, a URL prefix and
 * a weight whose number sits where the parse says; rendering with the
 * source's own weights gives the source back byte for byte; rendering with
 * other weights (0, and 1 where the source has 0) gives text that parses
 * to the same entries with those weights. Whatever is refused has a
 * message naming the file.
 */
#include "error.h"
#include "fuzz.h"
#include "jsonpool.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

static void check_entries(const struct mp_jp_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct mp_jp_mirror *m = &l->mirrors[i];
		char num[24];

		MP_FUZZ_ASSERT(m->name && m->name[0]);
		MP_FUZZ_ASSERT(m->url_prefix && m->url_prefix[0]);
		MP_FUZZ_ASSERT(m->line >= 1);
		MP_FUZZ_ASSERT(m->weight_len > 0 &&
			       m->weight_len < sizeof(num));
		MP_FUZZ_ASSERT(m->weight_off + m->weight_len <= l->len);
		memcpy(num, l->text + m->weight_off, m->weight_len);
		num[m->weight_len] = '\0';
		MP_FUZZ_ASSERT(strtoul(num, NULL, 10) == m->weight);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mp_jp_list *l = NULL, *back = NULL;
	unsigned *w;
	char err[512] = "", *out;
	size_t len;
	int rc;

	rc = mp_jp_parse((const char *)data, size, "mirrors.json", &l, err,
			 sizeof(err));
	if (rc != MP_OK) {
		MP_FUZZ_ASSERT(rc == MP_EINVAL || rc == MP_ENOMEM);
		MP_FUZZ_ASSERT(l == NULL);
		MP_FUZZ_ASSERT(rc == MP_ENOMEM ||
			       strncmp(err, "mirrors.json", 12) == 0);
		return 0;
	}
	check_entries(l);
	w = calloc(l->n ? l->n : 1, sizeof(*w));
	MP_FUZZ_ASSERT(w != NULL);

	/* the source's own weights: the source, unchanged */
	for (size_t i = 0; i < l->n; i++)
		w[i] = l->mirrors[i].weight;
	out = mp_jp_render(l, w, &len);
	MP_FUZZ_ASSERT(out != NULL);
	MP_FUZZ_ASSERT(len == size && memcmp(out, data, size) == 0);
	free(out);

	/* other weights: the same entries with those weights */
	for (size_t i = 0; i < l->n; i++)
		w[i] = l->mirrors[i].weight ? 0 : 1;
	out = mp_jp_render(l, w, &len);
	MP_FUZZ_ASSERT(out != NULL);
	rc = mp_jp_parse(out, len, "out.json", &back, err, sizeof(err));
	if (rc != MP_OK)
		mp_fuzz_fail("rendered output does not parse: %s", err);
	MP_FUZZ_ASSERT(back->n == l->n);
	for (size_t i = 0; i < l->n; i++) {
		MP_FUZZ_ASSERT(
		    strcmp(back->mirrors[i].name, l->mirrors[i].name) == 0);
		MP_FUZZ_ASSERT(strcmp(back->mirrors[i].url_prefix,
				      l->mirrors[i].url_prefix) == 0);
		MP_FUZZ_ASSERT(back->mirrors[i].weight == w[i]);
	}
	check_entries(back);
	mp_jp_list_free(back);
	free(out);
	free(w);
	mp_jp_list_free(l);
	return 0;
}
