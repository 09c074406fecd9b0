"""The built-in local engine: a Speechmatics-compatible server on loopback."""
