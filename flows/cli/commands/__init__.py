"""One module per command group; each handler takes the parsed arguments and the console, returns the exit status."""
