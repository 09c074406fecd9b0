"""Where the Speechmatics services live: region presets, custom (on-prem) URLs and the SDKs' variables.

Presets follow the current documentation (``eu.rt…``/``us.rt…``/``global.rt…`` for realtime,
``eu1``/``us1.asr.api…`` for batch, the preview TTS service). Batch has no auto-routed host, so the
"global" preset sends batch jobs to EU1, the region the legacy ``asr.api…`` alias points at.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from studio.core.settings import Region, Settings

ENV_API_KEY = "SPEECHMATICS_API_KEY"
ENV_RT_URL = "SPEECHMATICS_RT_URL"
ENV_BATCH_URL = "SPEECHMATICS_BATCH_URL"
ENV_TTS_URL = "SPEECHMATICS_TTS_URL"
ENV_MANAGEMENT_URL = "SM_MANAGEMENT_PLATFORM_URL"

MANAGEMENT_URL = "https://mp.speechmatics.com"
TTS_URL = "https://preview.tts.speechmatics.com"


@dataclass(frozen=True)
class Endpoints:
    realtime: str
    batch: str
    tts: str
    management: str = MANAGEMENT_URL


PRESETS: Mapping[Region, Endpoints] = {
    Region.EU: Endpoints("wss://eu.rt.speechmatics.com/v2", "https://eu1.asr.api.speechmatics.com/v2", TTS_URL),
    Region.US: Endpoints("wss://us.rt.speechmatics.com/v2", "https://us1.asr.api.speechmatics.com/v2", TTS_URL),
    Region.GLOBAL: Endpoints(
        "wss://global.rt.speechmatics.com/v2", "https://eu1.asr.api.speechmatics.com/v2", TTS_URL
    ),
}

REGION_LABELS: Mapping[Region, str] = {
    Region.EU: "Speechmatics EU",
    Region.US: "Speechmatics US",
    Region.GLOBAL: "Speechmatics (nearest region)",
    Region.CUSTOM: "Custom server",
}

_SCHEMES = {"realtime": ("ws", "wss"), "batch": ("http", "https"), "tts": ("http", "https")}


def url_problem(service: str, url: str) -> str | None:
    """A one-line reason why ``url`` cannot serve ``service`` ("realtime", "batch", "tts"), or None."""
    schemes = _SCHEMES[service]
    if not url.strip():
        return f"Enter a {service} URL."
    parts = urlsplit(url.strip())
    if parts.scheme not in schemes:
        return f"The {service} URL must start with {' or '.join(s + '://' for s in schemes)}"
    if not parts.hostname:
        return f"The {service} URL has no host name."
    try:
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:
        return f"The {service} URL has an invalid port."
    return None


@dataclass(frozen=True)
class ResolvedEndpoints:
    endpoints: Endpoints
    label: str
    from_environment: tuple[str, ...] = ()


def resolve_endpoints(settings: Settings, env: Mapping[str, str]) -> ResolvedEndpoints:
    """The URLs to use: the settings' region or custom URLs, each overridden by its environment variable."""
    if settings.region is Region.CUSTOM:
        base = Endpoints(settings.custom_realtime_url, settings.custom_batch_url,
                         settings.custom_tts_url or TTS_URL)
        host = urlsplit(settings.custom_realtime_url or settings.custom_batch_url).netloc
        label = f"Custom server ({host})" if host else "Custom server"
    else:
        base = PRESETS[settings.region]
        label = REGION_LABELS[settings.region]
    overrides = {name: env[name].strip() for name in (ENV_RT_URL, ENV_BATCH_URL, ENV_TTS_URL, ENV_MANAGEMENT_URL)
                 if env.get(name, "").strip()}
    if not overrides:
        return ResolvedEndpoints(base, label)
    endpoints = Endpoints(
        realtime=overrides.get(ENV_RT_URL, base.realtime),
        batch=overrides.get(ENV_BATCH_URL, base.batch),
        tts=overrides.get(ENV_TTS_URL, base.tts),
        management=overrides.get(ENV_MANAGEMENT_URL, base.management),
    )
    host = urlsplit(endpoints.realtime).netloc
    return ResolvedEndpoints(endpoints, f"Speechmatics via environment ({host})", tuple(sorted(overrides)))


def with_query(url: str, **params: str) -> str:
    """``url`` with ``params`` added (replacing same-named ones); its other query parameters are kept."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query.extend(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))
