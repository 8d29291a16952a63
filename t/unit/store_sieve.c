/* Unit tests for libcommon/store_sieve.c: persons' Sieve scripts in the
 * store — install and replace, one active script per person, the active
 * one cannot be deleted, bad names refused, and scripts go with their
 * person. */
#include "log.h"
#include "store.h"
#include "store_test.h"
#include "tap.h"

#include <stdio.h>
#include <string.h>

struct listing {
	char text[256];
};

static int list_cb(const struct store_sieve_script *s, void *arg)
{
	struct listing *l = arg;
	size_t used = strlen(l->text);
	snprintf(l->text + used, sizeof l->text - used, "%s%s%s", used ? " " : "", s->name,
	         s->active ? "*" : "");
	return 0;
}

static const char *listing(struct store *st, int64_t pid)
{
	static struct listing l;
	l.text[0] = '\0';
	if (store_sieve_list(st, pid, list_cb, &l) < 0)
		return "(failed)";
	return l.text;
}

int main(void)
{
	int64_t ann, bob;
	struct store_sieve_script sc = { 0 };

	log_set_level(LOG_LVL_ERROR);
	struct store *st = test_store_open("store.db", 1000);
	if (st == NULL || store_domain_add(st, "example.test", "", NULL) < 0 ||
	    store_person_add(st, "example.test", "ann", "pw", &ann) < 0 ||
	    store_person_add(st, "example.test", "bob", "pw", &bob) < 0)
		skip_all("cannot make a store");

	is_int(store_sieve_put(st, ann, "main", "keep;", 5, 100), 0, "a script is stored");
	is_int(store_sieve_put(st, ann, "spare", "discard;", 8, 100), 0, "and a second one");
	is_str(listing(st, ann), "main spare", "listed in name order, none active");
	is_int(store_sieve_get_active(st, ann, &sc), -1, "no active script at first");
	is_int(store_last_error(st), STORE_E_NOTFOUND, "NOTFOUND");
	is_int(store_sieve_activate(st, ann, "main"), 0, "activate main");
	is_int(store_sieve_activate(st, ann, "spare"), 0, "activate spare");
	is_str(listing(st, ann), "main spare*", "one active script per person");
	ok(store_sieve_get_active(st, ann, &sc) == 0 && strcmp(sc.content, "discard;") == 0,
	   "the active one's content");
	store_sieve_clear(&sc);
	is_int(store_sieve_put(st, ann, "spare", "stop;", 5, 200), 0, "replace spare");
	ok(store_sieve_get(st, ann, "spare", &sc) == 0 && sc.active && sc.updated == 200 &&
	   strcmp(sc.content, "stop;") == 0, "replaced in place, still active");
	store_sieve_clear(&sc);
	is_int(store_sieve_activate(st, ann, "none"), -1, "activating a missing script fails");
	is_str(listing(st, ann), "main spare*", "and changes nothing");
	is_int(store_sieve_delete(st, ann, "spare"), -1, "the active script is not deleted");
	is_int(store_last_error(st), STORE_E_INVALID, "INVALID");
	is_int(store_sieve_activate(st, ann, NULL), 0, "deactivate");
	is_int(store_sieve_delete(st, ann, "spare"), 0, "then it can be deleted");
	is_str(listing(st, ann), "main", "gone");
	is_str(listing(st, bob), "", "bob has none of ann's scripts");
	is_int(store_sieve_put(st, ann, "", "keep;", 5, 1), -1, "an empty name is refused");
	is_int(store_sieve_put(st, ann, "a\nb", "keep;", 5, 1), -1, "a control character too");
	is_int(store_sieve_put(st, ann, "nul", "ke\0p;", 5, 1), -1, "a NUL in the script too");
	is_int(store_last_error(st), STORE_E_INVALID, "INVALID");
	is_int(store_sieve_put(st, ann, "other", "keep;", 5, 1), 0, "another script");
	is_int(store_sieve_activate(st, ann, "main"), 0, "activate main");
	is_int(store_sieve_rename(st, ann, "main", "first"), 0, "rename the active script");
	is_str(listing(st, ann), "first* other", "it keeps its content's place as active");
	is_int(store_sieve_rename(st, ann, "other", "first"), -1, "onto a taken name: refused");
	is_int(store_last_error(st), STORE_E_EXISTS, "EXISTS");
	is_int(store_sieve_rename(st, ann, "none", "x"), -1, "a missing script: refused");
	is_int(store_last_error(st), STORE_E_NOTFOUND, "NOTFOUND");
	is_int(store_sieve_rename(st, ann, "other", ""), -1, "to an empty name: refused");
	is_int(store_last_error(st), STORE_E_INVALID, "INVALID");
	is_int(store_sieve_rename(st, bob, "first", "x"), -1, "bob cannot rename ann's");
	is_str(listing(st, ann), "first* other", "nothing changed by the refusals");
	is_int(store_person_delete(st, ann), 0, "ann is deleted");
	is_int(store_sieve_get(st, ann, "main", &sc), -1, "and her scripts with her");
	store_close(st);
	done_testing();
	return exit_status();
}
