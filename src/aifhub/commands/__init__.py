"""The `aifhub` command's sub-commands, one module per area, each with `register(app)`."""
