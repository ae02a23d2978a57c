"""The command line: the parser, the detector flags every command shares, one module per command."""
