"""`python -m ivrsync.fake_smartflo [OPTIONS]`: the same command as `ivrsync fake-smartflo`.

One definition of the options (click, in `ivrsync.cli.fake`) and one error handler (`ivrsync.cli`),
so the two entry points cannot drift apart. `--help` lists the options.
"""

from __future__ import annotations

import sys

from ivrsync.cli import main

if __name__ == "__main__":
    main(["fake-smartflo", *sys.argv[1:]])
