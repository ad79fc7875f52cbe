"""`python -m ivrsync` runs the command-line interface."""

from ivrsync.cli import main

if __name__ == "__main__":
    main()
