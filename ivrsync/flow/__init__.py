"""The call flow: the graph of a config set, callers' walks through it, tests and checks of it.

    graph.py    configs -> `CallFlow`; the part some IVRs reach; what a plan changes in it
    walk.py     one caller's path through the menus, press by press, as Smartflo routes it
    checks.py   the telephony checks of `validate` (loops, hang-ups, unreachable IVRs, ...)
    suite.py    caller-path test files (`ivr-tests/*.yaml`) -> `CallTest`s; running them

Pure computations on `ivrsync.model` values; only `suite` reads files (through
`ivrsync.config.loader`). `ivrsync.config.validate` runs `checks`, so nothing here but `suite`
imports `ivrsync.config`, and this package imports none of its modules itself.
"""
