from __future__ import annotations

import pytest

from studio.core import settings as schema
from studio.core.settings import EngineChoice, Region, Settings, Theme


def test_defaults_round_trip_through_json_document() -> None:
    doc = schema.to_dict(Settings())
    assert doc["version"] == schema.SCHEMA_VERSION
    assert doc["engine"] == "auto" and doc["region"] == "eu" and doc["theme"] == "system"
    assert schema.from_dict(doc).settings == Settings()


def test_every_field_survives_a_round_trip() -> None:
    chosen = Settings(engine=EngineChoice.SPEECHMATICS, region=Region.CUSTOM,
                      custom_realtime_url="ws://box:9000/v2", custom_batch_url="http://box:18000/v2",
                      custom_tts_url="http://box:8080", language="de", theme=Theme.DARK,
                      use_temporary_keys=True)
    assert schema.from_dict(schema.to_dict(chosen)).settings == chosen


def test_unversioned_document_is_migrated() -> None:
    result = schema.from_dict({"region": "us1", "language": "fr"})
    assert result.settings.region is Region.US
    assert result.settings.language == "fr"
    assert result.problems == ()


def test_migrations_run_in_order_up_to_the_target() -> None:
    seen: list[int] = []

    def step(n: int) -> schema.Migration:
        def apply(data: schema.JsonDict) -> schema.JsonDict:
            seen.append(n)
            data[f"step{n}"] = True
            return data
        return apply

    out = schema.migrate({"version": 1}, {1: step(1), 2: step(2)}, target=3)
    assert seen == [1, 2]
    assert out["version"] == 3 and out["step1"] and out["step2"]


def test_missing_migration_is_an_error() -> None:
    with pytest.raises(ValueError, match="no migration from settings version 1"):
        schema.migrate({"version": 1}, {}, target=2)


def test_bad_values_fall_back_to_defaults_and_are_reported() -> None:
    result = schema.from_dict({"version": 1, "engine": "quantum", "language": 42, "theme": "dark"})
    assert result.settings.engine is EngineChoice.AUTO
    assert result.settings.language == "en"
    assert result.settings.theme is Theme.DARK
    assert len(result.problems) == 2
    assert any("engine" in p for p in result.problems)


def test_document_from_a_newer_version_keeps_unknown_keys() -> None:
    doc = {"version": schema.SCHEMA_VERSION + 1, "language": "ja", "hologram_mode": {"on": True}}
    result = schema.from_dict(doc)
    assert result.newer_version == schema.SCHEMA_VERSION + 1
    assert result.settings.language == "ja"
    assert schema.to_dict(result.settings)["hologram_mode"] == {"on": True}


def test_workspace_sections_round_trip_and_keep_unknown_keys() -> None:
    doc = schema.to_dict(Settings())
    assert all(isinstance(doc[name], dict) for name in ("live", "batch", "voices"))
    doc["live"] = {**doc["live"], "from_a_newer_studio": [1, 2]}
    loaded = schema.from_dict(doc)
    assert loaded.problems == ()
    assert loaded.settings.live == schema.LiveSettings()
    assert schema.to_dict(loaded.settings)["live"] == doc["live"]


def test_a_section_that_is_not_an_object_falls_back_to_its_defaults() -> None:
    result = schema.from_dict({"version": 1, "batch": "fast"})
    assert result.settings.batch == schema.BatchSettings()
    assert any("'batch' should be an object" in p for p in result.problems)


def test_section_fields_of_every_kind_are_read_and_checked() -> None:
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Inner(schema.Section):
        size: float = 1.5

    @dataclass(frozen=True)
    class Sample(schema.Section):
        name: str = "a"
        count: int = 2
        ratio: float = 0.5
        flag: bool = False
        theme: Theme = Theme.LIGHT
        words: tuple[str, ...] = ("x",)
        inner: Inner = Inner()

    problems: list[str] = []
    good = schema._section(Sample, {"name": "b", "count": 3, "ratio": 1, "flag": True, "theme": "dark",
                                    "words": ["y", "z"], "inner": {"size": 3}}, problems)
    assert problems == []
    assert good == Sample("b", 3, 1.0, True, Theme.DARK, ("y", "z"), Inner(3.0))
    assert schema._fields(good)["theme"] == "dark" and schema._fields(good)["inner"] == {"size": 3.0}
    bad = schema._section(Sample, {"count": True, "ratio": "x", "flag": 1, "words": [1], "inner": 5}, problems,
                          "live.")
    assert bad == Sample()
    assert len(problems) == 5 and all(p.startswith("'live.") for p in problems)
