"""Core settings of the management server."""
