"""Protocol clients for whichever service the studio talks to, built from the endpoints and the key.

One ``Connection`` per engine: the realtime client authenticates with temporary keys when the user asked
for them (the key service is then the only one that sees the API key), batch and TTS with the API key
itself, as the official SDKs do. The built-in engine needs no key: its clients send a fixed placeholder
that the local server accepts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from studio.api.auth import Auth, StaticKey, TemporaryKeys
from studio.api.batch import BatchClient
from studio.api.endpoints import Endpoints
from studio.api.realtime import RealtimeClient, RealtimeOptions
from studio.api.tts import TtsClient

BUILT_IN_TOKEN = "built-in-engine"


@dataclass
class Connection:
    endpoints: Endpoints
    api_key: str | None = None  # None: the built-in engine
    temporary_keys: bool = False
    _temporary: TemporaryKeys | None = field(default=None, init=False, repr=False)

    def auth(self, kind: str) -> Auth:
        key = self.api_key or BUILT_IN_TOKEN
        if kind == "rt" and self.temporary_keys and self.api_key:
            if self._temporary is None:  # one cache of temporary keys for every session
                self._temporary = TemporaryKeys(self.api_key, management_url=self.endpoints.management)
            return self._temporary
        return StaticKey(key)

    def realtime(self, options: RealtimeOptions | None = None) -> RealtimeClient:
        return RealtimeClient(self.endpoints.realtime, self.auth("rt"), options)

    def batch(self) -> BatchClient:
        return BatchClient(self.auth("batch"), url=self.endpoints.batch)

    def tts(self) -> TtsClient:
        return TtsClient(self.auth("tts"), url=self.endpoints.tts)
