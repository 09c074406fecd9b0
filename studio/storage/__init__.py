"""Settings, secrets and other persistent state (no Qt)."""
