"""The emulator's model module still names the timing profiles that moved to the family rows."""

from __future__ import annotations

from bedrock_stream.local.bedrock import model
from bedrock_stream.local.bedrock.family import FAMILIES
from bedrock_stream.local.bedrock.family.base import Profile


def test_the_model_profiles_are_the_family_rows_profiles() -> None:
    assert model.Profile is Profile
    assert list(model.PROFILES) == list(FAMILIES)
    assert all(model.PROFILES[family] is row.profile for family, row in FAMILIES.items())
    assert {"PROFILES", "Profile"} <= set(model.__all__)
    assert set(model.__all__) <= set(dir(model))
