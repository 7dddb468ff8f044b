"""Fields of the Prefect UI's forms (pydantic, no Prefect) that are filled in for the
person answering and are not theirs to change."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field


def fixed(value: str, description: str) -> tuple[Any, Any]:
    """A field whose one choice is ``value``, already chosen: ``Literal[value]`` with it
    as the default, and ``enum`` beside pydantic's ``const`` so the UI draws a choice of
    one rather than a text box (a different value is refused by the schema and the model).

    >>> from pydantic import create_model
    >>> create_model("F", stage=fixed("rapid", "The stage")).model_json_schema()["properties"]["stage"]["enum"]
    ['rapid']
    """
    return Literal[value], Field(default=value, description=description, json_schema_extra={"enum": [value]})  # type: ignore[valid-type]
