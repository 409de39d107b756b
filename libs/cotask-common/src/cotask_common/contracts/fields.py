"""Field types the declarations share."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from cotask_common.roles import RoleName

# An account role on the wire (the names of `cotask_common.roles.Role`).
Role = RoleName
Language = Literal["en", "ru", "uk"]
TimeZone = Annotated[str, Field(examples=["Europe/Kyiv"])]
Email = Annotated[str, Field(examples=["ada@example.com"])]
Username = Annotated[str, Field(examples=["ada"])]
Handle = Annotated[str, Field(examples=["ada_pages"])]
Sha256 = Annotated[str, Field(examples=["0" * 64])]
