"""Asyncio orchestration of the studio's work (no Qt)."""
