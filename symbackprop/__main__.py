"""The console entry point (``symbackprop`` and ``python -m symbackprop``): signal handlers first, then the CLI.

SIGTERM and SIGHUP become an ``Interrupted`` exception (signals.py), like SIGINT's KeyboardInterrupt, so
that every ``with`` block and ``finally`` runs: the LaTeX child is killed and its temporary folder
removed. They are installed before SymPy and NumPy load, so that an early signal is one line too.
"""
import sys

try:
    from .signals import install, interrupted
except KeyboardInterrupt:                  # a Ctrl-C while Python's own signal module loads (its first ~10 ms)
    sys.stderr.write("symbackprop: interrupted (SIGINT); stopped\n")
    sys.exit(130)


def main() -> int:
    try:
        install()
        from .cli import main as run
        return run()
    except KeyboardInterrupt as error:     # while the CLI was loading; once loaded, it says so itself
        return interrupted(error)


if __name__ == "__main__":
    sys.exit(main())
