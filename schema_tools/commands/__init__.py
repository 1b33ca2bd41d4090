"""One module per `schema-tools` subcommand, each with `register(subparsers)`."""
