"""Stopping cleanly: SIGTERM and SIGHUP raised as an exception where the program is, like SIGINT.

Python turns SIGINT into KeyboardInterrupt; by default SIGTERM and SIGHUP kill the process outright, so no
``finally`` runs: a LaTeX child outlives its parent and its temporary folder stays. ``install`` makes them
raise ``Interrupted`` (a KeyboardInterrupt) instead. Exit status 128 + the signal's number, as a shell does.
Imports nothing from the package, so that the entry point can install it before SymPy loads.
"""
from __future__ import annotations

import signal
import sys

SIGNALS: dict[int, str] = {signal.SIGINT: "interrupted (SIGINT)", signal.SIGTERM: "terminated (SIGTERM)"}
if hasattr(signal, "SIGHUP"):
    SIGNALS[signal.SIGHUP] = "hung up (SIGHUP)"


class Interrupted(KeyboardInterrupt):
    """A SIGTERM or SIGHUP, raised where the program was, so that clean-up runs."""

    def __init__(self, signum: int):
        super().__init__(SIGNALS.get(signum, f"signal {signum}"))
        self.signum = signum


received: int | None = None               # the signal, once one came: raising it can be swallowed


def _stop(signum, frame):
    global received
    received = signum
    for s in SIGNALS:                      # once stopping, a second signal must not cut the clean-up short
        signal.signal(s, signal.SIG_IGN)
    raise Interrupted(signum)


def stop_if_signalled() -> None:
    """Raise the signal again if its exception was swallowed: Python ignores an exception raised inside a
    garbage-collector callback (JAX installs one), and the work would carry on as if none had come."""
    if received is not None:
        raise Interrupted(received)


def install() -> None:
    """SIGTERM and SIGHUP raise Interrupted (unless ignored, as under nohup). Main thread only."""
    for s in SIGNALS:
        if s != signal.SIGINT and signal.getsignal(s) is signal.SIG_DFL:
            signal.signal(s, _stop)


def interrupted(error: KeyboardInterrupt) -> int:
    """One line on stderr, and the exit status: 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP."""
    signum = getattr(error, "signum", signal.SIGINT)
    print(f"symbackprop: {SIGNALS.get(signum, f'signal {signum}')}; stopped", file=sys.stderr)
    return 128 + signum
