"""bench_loads - the loads `make bench` runs, each a call of emsbench
against one server, and the figures each load yields.

A server object (bench_ems.Ems, bench_dovecot.Dovecot, bench_nodes.EmsNodes)
says where its services listen (connect; connects: on each of its nodes),
whether a part is there (missing: None or a reason such as "not built"),
how mail is delivered in mailer mode and how to watch a mailbox, and
measures its own memory.  A server of several nodes (its `nodes` above
1) runs only the loads that spread their clients over them (SPLIT).
"""
import json
import subprocess
import time

SINK = "sink@bench.test"
USER_FMT = "bench%d@bench.test"
PASSWORD = "bench"
# Persons with a pre-filled INBOX (one per IMAP/POP3 client).
USERS = 50
# An emsbench run that takes longer than this is stopped and reported.
RUN_TIMEOUT = 600


class Figure:
    def __init__(self, name, key, unit, better):
        self.name, self.key, self.unit, self.better = name, key, unit, better


def run_emsbench(server, args, timeout=RUN_TIMEOUT):
    """Runs emsbench with ARGS; returns (dict of figures, None) or
    (None, why)."""
    cmd = [server.emsbench] + args
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                           env=server.env)
    except subprocess.TimeoutExpired:
        return None, "timeout"
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        why = (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1]
        return None, why[:60]
    return json.loads(lines[-1]), None


def connect_args(server, kind):
    """--connect for KIND on each of SERVER's nodes (emsbench spreads its
    clients over them)."""
    return [a for addr in server.connects(kind) for a in ("--connect", addr)]


class Load:
    """One load: TITLE for the progress line; PART is what the server must
    have; FIGURES what it reports; SPLIT when it spreads its clients over
    a server's nodes."""

    split = False

    def __init__(self, title, part, figures):
        self.title, self.part, self.figs = title, part, figures
        self.values = {}   # server name -> dict of figures, or a reason string

    def applies(self, server):
        """False when SERVER has several nodes and this load is not one for them."""
        return self.split or getattr(server, "nodes", 1) == 1

    def run(self, server):
        if not self.applies(server):
            self.values[server.name] = "—"
            return
        why = server.missing(self.part)
        if why:
            self.values[server.name] = why
            return
        got, why = self.measure(server)
        self.values[server.name] = got if got is not None else why

    def measure(self, server):
        raise NotImplementedError

    def figures(self, names):
        out = []
        for f in self.figs:
            row = {"name": "%s: %s" % (self.title, f.name), "unit": f.unit,
                   "better": f.better, "values": {}, "notes": {}}
            for n in names:
                v = self.values.get(n)
                if isinstance(v, dict) and v.get(f.key) is not None:
                    row["values"][n] = v[f.key]
                    if v.get("errors"):
                        row["notes"][n] = "%d errors" % v["errors"]
                else:
                    row["values"][n] = None
                    row["notes"][n] = v if isinstance(v, str) else "no figure"
            out.append(row)
        return out


class Deliver(Load):
    def __init__(self, mode, clients, size, count):
        kb = "%d KB" % (size // 1024)
        title = ("mailer exec, %s" % kb if mode == "mailer"
                 else "LMTP x%d, %s" % (clients, kb))
        super().__init__(title, mode, [
            Figure("messages/s", "msgs_per_s", "msg/s", "higher"),
            Figure("latency to mailbox p50", "e2e_p50_ms", "ms", "lower"),
            Figure("latency to mailbox p99", "e2e_p99_ms", "ms", "lower"),
        ])
        self.mode, self.clients, self.size, self.count = mode, clients, size, count
        self.split = mode == "lmtp" and clients > 1

    def measure(self, server):
        args = [self.mode, "--clients", str(self.clients), "--count", str(self.count),
                "--size", str(self.size), "--rcpt", SINK] + server.watch(SINK)
        if self.mode == "lmtp":
            args += connect_args(server, "lmtp")
        else:
            args += ["--"] + server.mailer(SINK)
        return run_emsbench(server, args)


class Pop3(Load):
    def __init__(self, tls, clients, seconds):
        super().__init__("POP3%s x%d" % ("S" if tls else "", clients), "pop3", [
            Figure("sessions/s", "sessions_per_s", "1/s", "higher"),
            Figure("RETR throughput", "mb_per_s", "MB/s", "higher"),
        ])
        self.tls, self.clients, self.seconds = tls, clients, seconds

    def measure(self, server):
        args = ["pop3", "--connect", server.connect("pop3s" if self.tls else "pop3"),
                "--clients", str(self.clients), "--seconds", str(self.seconds),
                "--user", USER_FMT, "--users", str(USERS), "--password", PASSWORD]
        if self.tls:
            args.append("--tls")
        return run_emsbench(server, args)


# The commands whose latency the table shows (emsbench times each one,
# LOGIN, NOOP and LOGOUT too: they are in the JSON), with their labels.
IMAP_COMMANDS = (("select", "SELECT"), ("fetch_flags", "FETCH flags"),
                 ("fetch_headers", "FETCH headers"), ("fetch_body", "FETCH body"),
                 ("store", "STORE"), ("search", "SEARCH"), ("append", "APPEND"),
                 ("expunge", "EXPUNGE"))


class Imap(Load):
    """The mix: its total rate, and each command's latency p50/p99 as the
    bench client timed it (command sent to tagged answer).  Its clients
    alternate over a server's nodes."""

    split = True

    def __init__(self, clients, seconds):
        figs = [Figure("total ops/s", "ops_per_s", "ops/s", "higher")]
        for key, label in IMAP_COMMANDS:
            figs += [Figure("%s p50" % label, "%s_p50_ms" % key, "ms", "lower"),
                     Figure("%s p99" % label, "%s_p99_ms" % key, "ms", "lower")]
        figs.append(Figure("errors", "errors", "count", "lower"))
        super().__init__("IMAP mix x%d" % clients, "imap", figs)
        self.clients, self.seconds = clients, seconds

    def measure(self, server):
        return run_emsbench(server, [
            "imap"] + connect_args(server, "imap") + ["--clients", str(self.clients),
            "--seconds", str(self.seconds), "--user", USER_FMT, "--users", str(USERS),
            "--password", PASSWORD])


class ImapPaced(Imap):
    """The same mix at one fixed load on every server: the clients send
    PACE commands a second in all, each timed from when it was due, so
    a command's latency is its own and not its wait behind a faster
    server's larger queue.  One node: the comparison it makes is with
    the peer, not across nodes."""

    split = False

    def __init__(self, clients, pace, seconds):
        super().__init__(clients, seconds)
        self.title = "IMAP paced x%d, %d commands/s" % (clients, pace)
        self.figs[0] = Figure("commands/s done", "ops_per_s", "ops/s", "higher")
        self.pace = pace

    def measure(self, server):
        return run_emsbench(server, [
            "imap"] + connect_args(server, "imap") + ["--clients", str(self.clients),
            "--seconds", str(self.seconds), "--pace", str(self.pace),
            "--user", USER_FMT, "--users", str(USERS), "--password", PASSWORD])


class Idle(Load):
    """COUNT connections in IDLE; memory of every server process before
    and with them."""

    def __init__(self, count, budget, push=20):
        super().__init__("IDLE x%d" % count, "push", [
            Figure("connections in IDLE", "connections", "conn", "higher"),
            Figure("seconds to reach them", "setup_seconds", "s", "lower"),
            Figure("RSS of all processes", "rss_mb", "MB", "lower"),
            Figure("PSS of all processes", "pss_mb", "MB", "lower"),
            Figure("RSS per connection", "rss_kb_per_conn", "KB", "lower"),
            Figure("PSS per connection", "pss_kb_per_conn", "KB", "lower"),
            Figure("push 250 -> EXISTS p50 with all in IDLE", "push_p50_ms", "ms", "lower"),
            Figure("push 250 -> EXISTS p99 with all in IDLE", "push_p99_ms", "ms", "lower"),
        ])
        self.count, self.budget, self.push = count, budget, push

    def measure(self, server):
        server.prepare_idle(self.count)
        rss0, pss0 = server.memory()
        p = subprocess.Popen([server.emsbench, "idle", "--connect", server.connect("imap"),
                              "--count", str(self.count), "--clients", "8",
                              "--seconds", str(self.budget),
                              "--user", USER_FMT, "--users", str(USERS),
                              "--password", PASSWORD, "--push", str(self.push),
                              "--lmtp", server.connect("lmtp"),
                              "--rcpt", USER_FMT % 0],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, env=server.env)
        try:
            line = p.stdout.readline()
            got = json.loads(line) if line.startswith("{") else None
            if got is None:
                return None, "idle load failed"
            time.sleep(2)   # let the servers settle (lazy frees, forks done)
            rss1, pss1 = server.memory()
        finally:
            p.stdin.close()
            try:
                p.wait(120)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        n = max(1, got["connections"])
        got.update(rss_mb=rss1 / 1024.0, pss_mb=pss1 / 1024.0,
                   rss_kb_per_conn=(rss1 - rss0) / n,
                   pss_kb_per_conn=(pss1 - pss0) / n, rss_before_mb=rss0 / 1024.0)
        server.after_idle()
        return got, None


class Push(Load):
    """Deliveries through the first node's LMTP to a client IDLEing on the
    last node's IMAP: on one node the same node, on several the wake-up
    crosses from one node to another."""

    split = True

    def __init__(self, count):
        super().__init__("IDLE push", "push", [
            Figure("250 -> EXISTS p50", "push_p50_ms", "ms", "lower"),
            Figure("250 -> EXISTS p99", "push_p99_ms", "ms", "lower"),
            # From the end of the message: the whole path, commit included
            # (an EXISTS that comes before the 250 counts 0 above).
            Figure("end of DATA -> EXISTS p50", "data_to_exists_p50_ms", "ms", "lower"),
            Figure("end of DATA -> EXISTS p99", "data_to_exists_p99_ms", "ms", "lower"),
        ])
        self.count = count

    def measure(self, server):
        return run_emsbench(server, [
            "push", "--connect", server.connects("imap")[-1],
            "--lmtp", server.connects("lmtp")[0],
            "--count", str(self.count), "--size", "2048", "--user", USER_FMT,
            "--password", PASSWORD, "--rcpt", USER_FMT % 0])

class LoginStorm(Load):
    """RATE IMAP logins a second attempted for SECONDS, open loop, with
    the server's authentication cache on or off (ems: auth.cache_size;
    Dovecot: auth_cache_size)."""

    def __init__(self, cache, rate, seconds):
        super().__init__("login storm %d/s, auth cache %s" % (rate, "on" if cache else "off"),
                         "imap", [
                             Figure("logins/s", "logins_per_s", "1/s", "higher"),
                             Figure("login latency p50", "login_p50_ms", "ms", "lower"),
                             Figure("login latency p99", "login_p99_ms", "ms", "lower"),
                             Figure("logins done", "logins", "count", "higher"),
                         ])
        self.cache, self.rate, self.seconds = cache, rate, seconds

    def measure(self, server):
        server.auth_cache(self.cache)
        common = ["--connect", server.connect("imap"), "--timeout-ms", "20000",
                  "--user", USER_FMT, "--users", str(USERS), "--password", PASSWORD]
        try:
            # Every person logs in once first: the storm is of clients
            # coming back, which is what a cache is for (and what the
            # row without it pays in full).
            run_emsbench(server, ["logins", "--rate", str(USERS), "--seconds", "1",
                                  "--clients", "8"] + common)
            return run_emsbench(server, ["logins", "--rate", str(self.rate),
                                         "--seconds", str(self.seconds),
                                         "--clients", "64"] + common)
        finally:
            server.auth_cache(None)     # back to the server's default


def plan(quick, fd_limit, idle_seconds=None):
    """The loads of one run, in order.  QUICK shortens them; the 10,000
    connection step needs a descriptor limit above it.  IDLE_SECONDS
    replaces the time the IDLE steps allow for their logins (a login
    that misses the authentication cache verifies a yescrypt hash, some
    50 ms of CPU; ems caches by default, Dovecot does not)."""
    secs = 4 if quick else 8
    small, large = (100, 30) if quick else (300, 100)
    loads = []
    for size, count in ((2048, small), (102400, large)):
        loads.append(Deliver("mailer", 1, size, count // 2))
        loads.append(Deliver("lmtp", 1, size, count))
        loads.append(Deliver("lmtp", 4, size, count))
    loads += [Pop3(False, 10, secs), Pop3(True, 10, secs)]
    loads += [Imap(10, secs), Imap(50, secs)]
    # below what each server sustains (Dovecot's logins bound it), so
    # every server keeps the pace and only the latencies differ
    loads += [ImapPaced(10, 100, 2 * secs), ImapPaced(50, 100, 2 * secs)]
    loads.append(Push(30 if quick else 60))
    storm = 3 if quick else 5
    loads += [LoginStorm(False, 1000, storm), LoginStorm(True, 1000, storm)]
    # (connections, seconds allowed for their logins)
    idle = [(1000, 45)] if quick else [(1000, 60), (10000, 150)]
    loads += [Idle(n, idle_seconds or b) for n, b in idle if n + 500 <= fd_limit]
    return loads
