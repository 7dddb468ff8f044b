"""The building blocks every framework-file model shares."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

#: A key in the framework file: lowercase letters, digits and hyphens (``focus-group``).
Key = Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=64)]


class Strict(BaseModel):
    """Unknown keys are errors (a misspelt setting must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
