"""Public test vectors (../shared/reference/poco-contracts.md §6, test-rigs.md §4), as data."""

from __future__ import annotations

from typing import Any

ZERO = "0x0000000000000000000000000000000000000000"
ZERO32 = "0x" + "0" * 64
BELLECOUR_HUB = "0x3eca1B216A7DF1C7689aEb259fFB83ADFB894E7f"

# Well-known anvil keys (public test keys; never fund them on a real network).
ANVIL_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
ANVIL_ADDR_0 = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
ANVIL_KEY_1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
ANVIL_ADDR_1 = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"

# §6 A: iexec-sdk hashWorkerpoolorder() vector (hash only; the key is unknown).
SDK_ORDER: dict[str, Any] = {
    "workerpool": "0x9DEB16F7861123CE34AE755F48D30697eD066793",
    "workerpoolprice": 0,
    "volume": 4,
    "tag": ZERO32,
    "category": 3,
    "trust": 1,
    "apprestrict": ZERO,
    "datasetrestrict": ZERO,
    "requesterrestrict": ZERO,
    "salt": "0x0c8d51b480466c65b459e828ed8549cf4b15ba1abda0ef5d454964c23f3edf62",
}
SDK_SIGN = (
    "0xd8941d9974d6b6468a6dac46e88eb80a1575aedd5921d78e002483bf4faa72e3"
    "19e4c128f9a7f927857c6039988ba456de8ec337078eb538b13488d2374c379e1c"
)
SDK_HASH = {
    "arbitrum-sepolia-testnet": "0x4e1d29f1ba77a8548fd6c6e2bf7755bd2d0f654ef6ae13d3df03cc71fc4ac5d6",
    "bellecour": "0x7b23e26344284e809d7809395467d611ba148ef83b2ff3854e03430311f3f8fa",
    "arbitrum-mainnet": "0x11d18596ea756be8939418d63333e2c399b0820ed62a71a3dcc6bfe0072776fc",
}
SDK_SIGNER_BELLECOUR = "0xd01604eca8196c92dc975e35c3cba986d9444595"

DOMAIN_SEPARATORS = {
    "bellecour": "0xf2cbd98a556869939d25b73c3fa68ba45f19932f8c9a06f744c98290ed9ef860",
    "arbitrum-mainnet": "0x3b211ab198ac0c745a332d34416d88c417c2f06a87bd9f0d2fdd37b242c75402",
    "arbitrum-sepolia-testnet": "0xde6e7a8f1c22386ba73ee5376e4ec7089a2d2b07ebbfce54d4cb386daa34cc92",
    "local-133": "0xfe74a571c117ad1e52a111b47ec87ee86756b7100d374152c3d0f6c039575397",
}

# §6 B: iexec-commons-poco, chain 133 with the Bellecour hub address, public test keystore key.
COMMONS_KEY = "0x650fbe1e220c2e019202bceec7e0005c66c737111e42a33b700dad4579c0d2fc"
COMMONS_ADDRESS = "0x000a9c787a972f70f0903890e266f41c795c4dca"
COMMONS_ORDER: dict[str, Any] = {
    "workerpool": "0x53Ef1328a96E40E125bca15b9a4da045C5e63E1A",
    "workerpoolprice": 0,
    "volume": 1,
    "tag": ZERO32,
    "category": 0,
    "trust": 0,
    "apprestrict": ZERO,
    "datasetrestrict": ZERO,
    "requesterrestrict": ZERO,
    "salt": "0x40af1a4975ca6ca7285d7738e51c8da91a9daee4a23fb45d105068be56f85e56",
}
COMMONS_SIGN = (
    "0x18bb5dbf608ade315c9e81f0b89929a93aa36aee0a1d51e9119c66799af12659"
    "6c6cfd1e676ea394e346c616710a675388d5b270a195e494e75d107c87a45dce1c"
)
COMMONS_SIGN_2098 = (
    "0x18bb5dbf608ade315c9e81f0b89929a93aa36aee0a1d51e9119c66799af12659"
    "ec6cfd1e676ea394e346c616710a675388d5b270a195e494e75d107c87a45dce"
)
COMMONS_DIGEST = "0x66df04fcab380857d682cfc64a4c8906587e918857d481a29f79f7c3abd06620"
COMMONS_SIGN_OP = {
    "digest": "0xfa554148560e3d99424d3c07aa0e2e97476097b72cf29ad44761dcbdbc90d2db",
    "sig": "0xeae0ce7700f9ec60e1862fb910524abbe4e0851049ad2728b04dc9ea412b1cd3"
    "2afe51b60bc2d45df3db8561240bfea6b33306e81ee7c00aff9eb08a5a2763af1c",
}
COMMONS_CLOSE_OP = {
    "digest": "0x86578aa506f8edef90770d7dc3b29c73ef85a20f8be02254eb43736d3e0f8165",
    "sig": "0x236c7d2bbe61cb77add58465fcd8f5a6e832ef3a9fdea91212b37bdcffb63a3b"
    "44d07d5667a03c295be2843834019420ab226d29d9a4d41fe8b5e2a3b86650861b",
}

# test-rigs.md §4 golden vector (Bellecour domain, anvil key #1).
GOLDEN_ORDER: dict[str, Any] = {
    "workerpool": "0x1234567890123456789012345678901234567890",
    "workerpoolprice": 1_000_000_000,
    "volume": 10,
    "tag": ZERO32,
    "category": 0,
    "trust": 0,
    "apprestrict": ZERO,
    "datasetrestrict": ZERO,
    "requesterrestrict": ZERO,
    "salt": "0xc3a1d4f5e6b7a8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7",
}
GOLDEN_HASH = "0xe22350c4c2febe5300e04dadf4eaa5aef50407253143b469809c1c67d3dd1e48"
GOLDEN_SIGN = (
    "0xe59f1a3173a2340be938c913cc2a8fd0c3552d9f6b649201d7d7ecdceb4ad00b"
    "2f3de2f3e23580bd3e37e44178ae5b23969f3cf463a11761c65f863ab8247a451b"
)
