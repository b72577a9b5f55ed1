"""The `aggregator` command: main.py builds the parser and runs a sub-command; each command
group is a module with `register(commands, common)` (main.COMMAND_GROUPS). `main` builds only
the parser of the group a command belongs to, and modules import what a command needs when it
runs, so `aggregator --help` loads no database or crawl code and a command loads no other's."""
