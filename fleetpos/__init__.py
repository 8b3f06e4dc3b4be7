"""fleetpos: the distribution's own package (command line and the messages both sides share)."""

__version__ = "0.1.0"
