"""Audio capture, decoding and recording (no Qt)."""
