#!/usr/bin/env python3
"""auth_cache.t - the authentication cache (auth.cache_size,
auth.cache_ttl_s) seen from an IMAP client: a second login with the
same password skips the password hash (the auth_login line says
cached=yes), a wrong password still fails and counts toward the
person's lock-out, a password changed with oomgr refuses the old one at
once, a person whose services no longer include IMAP is refused, and a
locked-out person is refused with a password the cache holds.  With
auth.cache_size = 0 nothing is cached."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsimap import PASSWORD, USER, ImapSuite, Raw  # noqa: E402

t = emstest.Tap()
for prog in ("imap4srv", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)


def login(s, password, tag="a"):
    """The tagged answer to LOGIN with PASSWORD on a fresh connection."""
    r = Raw(s.imap_port)
    tagged = r.command(tag, 'LOGIN "%s" "%s"' % (USER, password))[1]
    r.command("z", "LOGOUT")
    r.close()
    return tagged


def logins(s, cached):
    """How many auth_login lines of imap4srv say cached=CACHED."""
    return s.log_text("imap4srv").count("user=%s mech=LOGIN tls=no cached=%s"
                                        % (USER, cached))


auth = {"fail_delay_ms": 20, "fail_delay_max_ms": 40, "person_lock_failures": 3,
        "cache_size": 100, "cache_ttl_s": 3600}
s = ImapSuite({"auth": auth}, name="authcache")
s.start_imap()

t.ok(login(s, PASSWORD).startswith(b"a OK"), "the first login works")
t.is_(logins(s, "no"), 1, "  and verifies the password hash")
t.ok(login(s, PASSWORD).startswith(b"a OK"), "the second login works")
t.is_(logins(s, "yes"), 1, "  from the cache")
t.ok(login(s, "Wrong").startswith(b"a NO [AUTHENTICATIONFAILED]"),
     "a wrong password still fails")
t.like(s.log_text("imap4srv"), "reason=\"wrong password\" failures=1",
       "  and counts as a failure")

s.admin("update person username=%s password=newpw" % USER)
t.ok(login(s, PASSWORD).startswith(b"a NO"),
     "right after oomgr changed the password the old one is refused")
t.ok(login(s, "newpw").startswith(b"a OK"), "the new password logs in")
t.is_(logins(s, "no"), 2, "  verified by a full hash")
t.ok(login(s, "newpw").startswith(b"a OK") and logins(s, "yes") == 2,
     "  and then from the cache")

s.admin("update person username=%s services=pop" % USER)
t.ok(login(s, "newpw").startswith(b"a NO"),
     "a person no longer allowed IMAP is refused with a cached password")
s.admin("update person username=%s services=pop,imap" % USER)

for i in range(3):
    login(s, "guess%d" % i)
t.like(s.log_text("imap4srv"), "event=auth_lockout service=imap person=%s" % USER,
       "three wrong passwords after cached logins lock the person out")
t.ok(login(s, "newpw").startswith(b"a NO [AUTHENTICATIONFAILED] too many failed logins"),
     "a locked-out person is refused with a password the cache holds")
t.ok("newpw" not in s.log_text("imap4srv") and "guess" not in s.log_text("imap4srv"),
     "no password is logged")
s.stop()

off = dict(auth, cache_size=0)
s = ImapSuite({"auth": off}, name="authcacheoff")
s.start_imap()
login(s, PASSWORD)
login(s, PASSWORD)
t.is_((logins(s, "no"), logins(s, "yes")), (2, 0),
      "with auth.cache_size = 0 every login verifies the hash")
s.stop()
t.done()
