/* Unit tests for postman's recipient expansion (postman/postman_expand.c)
 * on a real store: persons in any case, +detail folders, aliases to
 * persons, lists and outside addresses, nested and looping lists,
 * forwards with and without a copy (and the site switch that turns them
 * off), unknown names, disabled mailboxes and the expansion limit. */
#include "../../postman/postman.h"
#include "store.h"
#include "store_test.h"
#include "tap.h"

#include <stdio.h>
#include <string.h>

static struct store *st;
static int64_t ann, bob, cat;

static void setup(void)
{
	int64_t staff, team;

	st = test_store_open("store.db", 2000);
	ok(st != NULL, "store opened");
	ok(store_domain_add(st, "example.test", "", NULL) == 0 &&
	   store_person_add(st, "example.test", "ann", "pw", &ann) == 0 &&
	   store_person_add(st, "example.test", "bob", "pw", &bob) == 0 &&
	   store_person_add(st, "example.test", "cat", "pw", &cat) == 0 &&
	   store_alias_add(st, "example.test", "boss", "Ann@example.test") == 0 &&
	   store_alias_add(st, "example.test", "out", "friend@elsewhere.example") == 0 &&
	   store_alias_add(st, "example.test", "all", "staff@example.test") == 0 &&
	   store_dlist_add(st, "example.test", "staff", "", &staff) == 0 &&
	   store_dlist_add(st, "example.test", "team", "", &team) == 0 &&
	   store_dlist_add_member(st, staff, "ann@example.test") == 0 &&
	   store_dlist_add_member(st, staff, "team@example.test") == 0 &&
	   store_dlist_add_member(st, team, "bob@example.test") == 0 &&
	   store_dlist_add_member(st, team, "cat@example.test") == 0 &&
	   store_dlist_add_member(st, team, "staff@example.test") == 0 &&
	   store_dlist_add_member(st, team, "ghost@example.test") == 0 &&
	   store_dlist_add_member(st, team, "pal@elsewhere.example") == 0,
	   "directory: 3 persons, 3 aliases, 2 lists that contain each other");
}

/* Expands the NUL-separated RCPTS into E (fresh). */
static int run(struct expansion *e, bool autoforward, const char *const *rcpts)
{
	expansion_init(e, 1000, autoforward);
	for (size_t i = 0; rcpts[i] != NULL; i++)
		if (expand_recipient(st, e, rcpts[i], i) < 0)
			return -1;
	return 0;
}

static bool has_local(const struct expansion *e, int64_t person, const char *folder)
{
	for (size_t i = 0; i < e->nlocal; i++)
		if (e->local[i].person_id == person && strcmp(e->local[i].folder, folder) == 0)
			return true;
	return false;
}

static const char *failure(const struct expansion *e, const char *address)
{
	for (size_t i = 0; i < e->nfailed; i++)
		if (strcmp(e->failed[i].address, address) == 0)
			return e->failed[i].status;
	return NULL;
}

static void test_persons(void)
{
	struct expansion e;
	const char *const r1[] = { "ANN@Example.Test", "bob+Work@example.test", NULL };
	ok(run(&e, true, r1) == 0, "persons expand");
	is_int((long long)e.nlocal, 2, "two mailboxes");
	ok(has_local(&e, ann, ""), "a person in any case");
	ok(has_local(&e, bob, "Work"), "user+detail keeps the detail as the folder");
	ok(e.nfailed == 0 && e.nexternal == 0, "nothing failed or goes out");
	expansion_free(&e);

	const char *const r2[] = { "nobody@example.test", "x@unhosted.example", NULL };
	ok(run(&e, true, r2) == 0 && e.nlocal == 0, "unknown recipients deliver nothing");
	is_str(failure(&e, "nobody@example.test"), "5.1.1", "unknown person: 5.1.1");
	is_str(failure(&e, "x@unhosted.example"), "5.1.2", "a domain not hosted: 5.1.2");
	expansion_free(&e);
}

static void test_aliases_and_lists(void)
{
	struct expansion e;
	const char *const r1[] = { "boss@example.test", "ann@example.test", NULL };
	ok(run(&e, true, r1) == 0 && e.nlocal == 1 && has_local(&e, ann, ""),
	   "an alias and its person in one item: one delivery");
	expansion_free(&e);

	const char *const r2[] = { "all@example.test", NULL };
	ok(run(&e, true, r2) == 0, "alias -> list -> nested list -> the first list again");
	is_int((long long)e.nlocal, 3, "every member once, the loop ends");
	ok(has_local(&e, ann, "") && has_local(&e, bob, "") && has_local(&e, cat, ""),
	   "ann, bob and cat");
	ok(e.local[0].via_list && e.local[2].via_list, "reached through a list");
	is_str(failure(&e, "ghost@example.test"), "5.1.1", "an unknown member fails alone");
	ok(e.nexternal == 1 && strcmp(e.external[0].address, "pal@elsewhere.example") == 0 &&
	   strcmp(e.external[0].via, "team@example.test") == 0,
	   "an outside member is forwarded, via the list");
	expansion_free(&e);

	const char *const r3[] = { "out@example.test", NULL };
	ok(run(&e, true, r3) == 0 && e.nlocal == 0 && e.nexternal == 1 &&
	   strcmp(e.external[0].via, "out@example.test") == 0,
	   "an alias to an outside address");
	expansion_free(&e);
}

static void test_forwards(void)
{
	struct expansion e;
	const char *const r[] = { "ann@example.test", NULL };

	ok(store_person_set_autoreply(st, ann, "", "bob@example.test") == 0 &&
	   store_person_set_forward_keep(st, ann, false) == 0, "ann forwards to bob");
	ok(run(&e, true, r) == 0 && e.nlocal == 1 && has_local(&e, bob, ""),
	   "without a copy only bob gets it");
	expansion_free(&e);
	ok(run(&e, false, r) == 0 && e.nlocal == 1 && has_local(&e, ann, ""),
	   "with forwarding off for the site ann keeps it");
	expansion_free(&e);

	store_person_set_forward_keep(st, ann, true);
	ok(run(&e, true, r) == 0 && e.nlocal == 2, "with a copy both get it");
	expansion_free(&e);

	store_person_set_autoreply(st, bob, "", "ann@example.test");
	store_person_set_forward_keep(st, ann, false);
	store_person_set_forward_keep(st, bob, false);
	ok(run(&e, true, r) == 0 && e.nlocal == 1 && has_local(&e, bob, "") && e.nfailed == 0,
	   "ann -> bob -> ann without copies: the loop stops at bob, who keeps it");
	expansion_free(&e);

	store_person_set_autoreply(st, ann, "", "friend@elsewhere.example");
	store_person_set_forward_keep(st, ann, true);
	ok(run(&e, true, r) == 0 && e.nlocal == 1 && e.nexternal == 1 &&
	   strcmp(e.external[0].via, "ann@example.test") == 0,
	   "a forward outside, with a copy");
	expansion_free(&e);
	store_person_set_autoreply(st, ann, "", "");
	store_person_set_autoreply(st, bob, "", "");
}

static void test_limits(void)
{
	struct expansion e;
	const char *const r[] = { "cat@example.test", "all@example.test", NULL };

	ok(store_person_set_services(st, cat, STORE_SVC_IMAP, false) == 0,
	   "cat may not receive mail");
	ok(run(&e, true, r) == 0 && !has_local(&e, cat, ""), "cat gets nothing");
	is_str(failure(&e, "cat@example.test"), "5.2.1", "mailbox disabled: 5.2.1");
	expansion_free(&e);
	store_person_set_services(st, cat, STORE_SVC_ALL, false);

	expansion_init(&e, 3, true);
	ok(expand_recipient(st, &e, "all@example.test", 0) == 0, "a limit of 3 addresses");
	ok(e.nfailed > 0 && strcmp(e.failed[0].status, "5.4.6") == 0,
	   "the rest fails with 5.4.6");
	expansion_free(&e);
}

int main(void)
{
	setup();
	if (st == NULL) {
		done_testing();
		return exit_status();
	}
	test_persons();
	test_aliases_and_lists();
	test_forwards();
	test_limits();
	store_close(st);
	done_testing();
	return exit_status();
}
