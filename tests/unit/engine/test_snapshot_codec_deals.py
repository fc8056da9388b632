"""A deal's request fields through the journal's codec (bot.engine.snapshot_codec): a buyer's cap
(``Deal.request_maxprice``, robust item 40) survives the round trip, and a recording made before
the request fields existed still loads, with both not known."""

from __future__ import annotations

from dataclasses import replace

from bot.domain.model import ZERO_ADDRESS
from bot.engine.snapshot_codec import snapshot_from_payload, snapshot_to_payload
from tests.support.factories import deal, offer, snap

XS = offer(category=0)


def test_a_deal_s_request_fields_round_trip() -> None:
    sold = replace(deal("a", 90), request_workerpool=ZERO_ADDRESS, request_maxprice=4_200)
    payload = snapshot_to_payload(snap(offers=[XS], deals=[sold]))
    assert payload["deals"][0]["request_maxprice"] == 4_200
    back = snapshot_from_payload(payload, [XS])
    assert back.deals == (sold,)


def test_an_older_recording_without_them_loads_as_not_known() -> None:
    sold = deal("a", 90)
    payload = snapshot_to_payload(snap(offers=[XS], deals=[sold]))
    for d in payload["deals"]:
        del d["request_workerpool"], d["request_maxprice"]
    (back,) = snapshot_from_payload(payload, [XS]).deals
    assert (back.request_workerpool, back.request_maxprice) == (None, None)
    assert back == sold
