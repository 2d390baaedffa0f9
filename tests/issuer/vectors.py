"""The W3C vc-di-eddsa and OB 3.0 eddsa-rdfc-2022 test vectors, copied into tests/fixtures."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
W3C = FIXTURES / "w3c-vc-di-eddsa"
OB3 = FIXTURES / "ob3-ldp-test-vector"


@dataclass(frozen=True)
class Vector:
    name: str
    unsigned: dict[str, Any]
    folder: Path

    def text(self, name: str) -> str:
        return (self.folder / name).read_text(encoding="utf-8")

    def json(self, name: str) -> Any:
        return json.loads(self.text(name))


def w3c_vectors() -> list[Vector]:
    return [
        Vector("alumni", json.loads((W3C / "unsigned.json").read_text()), W3C / "eddsa-rdfc-2022"),
        Vector("employ", json.loads((W3C / "employmentAuth.json").read_text()), W3C / "eddsa-rdfc-2022" / "employ"),
    ]


def w3c_key_pair() -> dict[str, str]:
    data: dict[str, str] = json.loads((W3C / "keyPair.json").read_text())
    return data
