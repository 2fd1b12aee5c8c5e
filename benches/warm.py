"""What the timing benches share: their inputs read into memory before each timed run."""

import os


def warm(cmd):
    """Reads every file the command names, just before it runs: this machine pages out file
    data unused for a minute, and a run that waits on the disk measures the disk."""
    for arg in cmd:
        if os.path.isfile(arg):
            with open(arg, "rb") as f:
                while f.read(1 << 24):
                    pass
