"""Cross-check against ethers v6, the library the iExec SDK and the marketplace hash with.

One node process hashes and signs a batch of varied orders (tags, restrictions, uint256 extremes,
every network's domain); Python must agree byte for byte. ethers comes from the iExec SDK
installed by `make setup` in .cache/npm (never committed). Without node or ethers the test fails
rather than skips: a cross-check that quietly stops running protects nothing.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.domain.model import MAX_UINT256, WorkerpoolOrder
from bot.domain.networks import Network, get_network
from bot.domain.signing import domain_of, hash_order, sign_order
from tests.support import vectors as v

pytestmark = pytest.mark.sdk

ROOT = Path(__file__).resolve().parents[3]
NODE_MODULES = ROOT / ".cache" / "npm" / "node_modules"

SCRIPT = r"""
const { TypedDataEncoder, Wallet } = require("ethers");
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const types = { WorkerpoolOrder: input.type };
(async () => {
  const out = [];
  for (const c of input.cases) {
    const wallet = new Wallet(c.key);
    out.push({
      hash: TypedDataEncoder.hash(c.domain, types, c.order),
      sign: await wallet.signTypedData(c.domain, types, c.order),
    });
  }
  process.stdout.write(JSON.stringify(out));
})();
"""


def _networks() -> list[Network]:
    return [
        get_network("arbitrum-mainnet"),
        get_network("arbitrum-sepolia-testnet"),
        get_network("bellecour"),
        get_network("local", chain_id=133, hub=v.BELLECOUR_HUB),
        get_network("local", chain_id=31337, hub="0x" + "5f" * 20),
    ]


def _orders(rng: random.Random, count: int) -> list[WorkerpoolOrder]:
    def addr() -> str:
        return rng.choice([v.ZERO, "0x" + rng.randbytes(20).hex()])

    tags = [0, 0x9, 0x100, 0x109, 0x3, 0x5, 1 << 255, rng.getrandbits(256)]
    uints = [0, 1, 2**53 - 1, 2**53, MAX_UINT256, rng.getrandbits(256)]
    return [
        WorkerpoolOrder(
            workerpool="0x" + rng.randbytes(20).hex(),
            workerpoolprice=rng.choice(uints),
            volume=rng.choice(uints[1:]),
            tag="0x" + format(rng.choice(tags), "064x"),
            category=rng.choice([0, 1, 4, *uints]),
            trust=rng.choice([0, 1, *uints]),
            apprestrict=addr(),
            datasetrestrict=addr(),
            requesterrestrict=addr(),
            salt="0x" + rng.randbytes(32).hex(),
        )
        for _ in range(count)
    ]


def test_python_matches_ethers_hash_and_signature() -> None:
    # No skip: `make setup` installs node's ethers and CI runs it, so a missing oracle is a
    # broken setup that must show up red, not a silently green cross-check.
    node = shutil.which("node")
    assert node is not None, "node is not on PATH: install Node.js (see the Makefile)"
    assert (NODE_MODULES / "ethers").is_dir(), (
        f"{NODE_MODULES / 'ethers'} is missing: run `make setup` (ethers comes with the iExec SDK)"
    )
    from bot.domain.signing import WORKERPOOL_ORDER_TYPE

    rng = random.Random(20261130)
    keys = [v.ANVIL_KEY_0, v.ANVIL_KEY_1, v.COMMONS_KEY]
    cases = []
    expected = []
    for index, order in enumerate(_orders(rng, 40)):
        network = _networks()[index % 5]
        key = keys[index % 3]
        domain = domain_of(network)
        message = {
            k: str(val) if isinstance(val, int) else val for k, val in order.fields().items()
        }
        cases.append({"domain": domain, "order": message, "key": key})
        signed = sign_order(network, order, key)
        assert signed.order_hash == hash_order(network, order)
        expected.append({"hash": signed.order_hash, "sign": signed.sign})
    payload = json.dumps({"type": WORKERPOOL_ORDER_TYPE, "cases": cases})
    result = subprocess.run(
        [node, "-e", SCRIPT],
        input=payload,
        capture_output=True,
        text=True,
        cwd=NODE_MODULES.parent,
        env={"NODE_PATH": str(NODE_MODULES), "PATH": "/usr/bin:/bin"},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected
