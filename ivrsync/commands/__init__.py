"""One function per command: the runs behind the CLI, as plain functions returning values.

Each command takes plain arguments (a frozen request value) and a `Runtime` holding everything
it touches outside the process: the environment, the Smartflo client factory, the clock, and
callbacks for what a person should see while it runs (problems, warnings, the plan before the
question, progress). It returns a result value and never prints, so a run can be tested
without click, and `ivrsync.cli` only translates options in and renders results out.
"""
