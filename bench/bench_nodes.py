"""bench_nodes - the two-node server of `make bench PEER=ems-postgresql`:
two ems suites, nodes alpha and beta, each started as bench_ems starts
one (its guardian binds its own client ports and runs iolistener, the
workers and, the store being PostgreSQL, its notify relay), both on one
database of the run's PostgreSQL cluster.  Alpha makes the persons and
their mail; beta finds them in the shared store.

The loads that can spread their clients ask for every node's address
(connects) and alternate over them; the IDLE push delivers through
alpha's LMTP to a client IDLEing on beta, so its wake-up goes through
both relays and PostgreSQL's LISTEN/NOTIFY.  Every other load is not
one for two nodes and gets "—".
"""
import os

from bench_ems import Ems, proc_memory


class EmsNodes:
    """Nodes alpha and beta on DATABASE of CLUSTER (a bench_ems.PgCluster)."""

    nodes = 2
    name = "ems-2nodes"

    def __init__(self, bindir, emsbench, cluster, database="bench2nodes"):
        self.emsbench = emsbench
        self.members = [Ems(bindir, emsbench, cluster, database, node=n, fill=(n == "alpha"))
                        for n in ("alpha", "beta")]
        self.env = {}

    def setup(self):
        for m in self.members:
            m.configure()
        self.members[0].fill_store()
        for m in self.members:
            m.start()
        self.env = self.members[0].env

    def missing(self, part):
        for m in self.members:
            why = m.missing(part)
            if why:
                return "%s: %s" % (m.node, why)
        return None

    def connect(self, kind):
        return self.members[0].connect(kind)

    def connects(self, kind):
        """KIND's address on alpha, then on beta."""
        return [m.connect(kind) for m in self.members]

    def watch(self, rcpt):
        return self.members[0].watch(rcpt)

    def memory(self):
        return proc_memory([p for m in self.members for p in m.pids()])

    def settings(self):
        one = self.members[0].settings()
        return {
            "nodes": "alpha and beta, each a suite as `make run` starts one (its own "
                     "guardian, ports, iolistener, imap4srv, pop3srv, smtpgw, postman, "
                     "collector, monitor, statistics and notifyrelay), on one "
                     "PostgreSQL database; collector and monitor work on one node at a "
                     "time",
            "loads": "LMTP x4: connections alternate alpha, beta; IMAP mix: clients "
                     "alternate alpha, beta; IDLE push: delivered through alpha's LMTP "
                     "to a client IDLEing on beta (the wake-up crosses nodes through "
                     "notifyrelay and LISTEN/NOTIFY); the other loads are one-node "
                     "loads (—)",
            "machine": "both nodes, PostgreSQL and the load generator share this one "
                       "machine's %d cores, and a write takes the store's one advisory "
                       "lock on either node: the rows show that two nodes work and "
                       "what the relay costs, not a scale-out gain" % os.cpu_count(),
            "durability": one["durability"],
            "not measured": {m.node: dict(m.down) for m in self.members if m.down},
        }

    def stop(self):
        for m in self.members:
            m.stop()
