"""The `aggregator` command: main.py builds the parser and runs a sub-command; each command
group is a module with `register(commands, common)` (main.COMMAND_MODULES). Modules import
what a command needs when it runs, so `aggregator --help` loads no database or crawl code."""
