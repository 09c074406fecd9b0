"""Speechmatics protocol clients (asyncio, no Qt)."""
