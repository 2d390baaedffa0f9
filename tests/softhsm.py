"""A SoftHSM2 token for the PKCS#11 tests: Debian's softhsm2 (``make hsm`` installs it), a token in a temporary
directory, one per test session (the PKCS#11 library reads its configuration once per process).

A missing SoftHSM is a loud skip that says how to install it: the test cannot run without the real token
library, and it is never faked.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

MODULE_PATHS = ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
                "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so", "/usr/local/lib/softhsm/libsofthsm2.so")
PIN = "1234"


@dataclass(frozen=True)
class Token:
    module: str
    label: str
    pin: str


def softhsm_module() -> str | None:
    found = next((p for p in MODULE_PATHS if Path(p).is_file()), None)
    return found if found and shutil.which("softhsm2-util") else None


_TOKEN: list[Token] = []


def make_token(directory: Path, label: str = "leads-test") -> Token:
    """The process's token (made on first call): the library reads SOFTHSM2_CONF once per process."""
    import pytest

    if _TOKEN:
        return _TOKEN[0]
    module = softhsm_module()
    if module is None:
        pytest.skip("SKIPPED LOUDLY: SoftHSM2 is not installed, so the PKCS#11 signer is untested here. "
                    "Install it with `make hsm` (as root: apt-get install softhsm2).")
    tokens = directory / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = directory / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n",
                    encoding="utf-8")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin", "5678", "--pin", PIN],
                   check=True, capture_output=True, env={**os.environ, "SOFTHSM2_CONF": str(conf)})
    _TOKEN.append(Token(module, label, PIN))
    return _TOKEN[0]
