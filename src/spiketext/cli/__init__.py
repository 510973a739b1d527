"""The `spiketext` command: the verbs' options (generated from their typed settings), one parser, and printing.
A thin layer over `spiketext.api`; the only layer that prints."""

from spiketext.cli.parser import main

__all__ = ["main"]
