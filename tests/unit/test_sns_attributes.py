"""CreateTopic's attributes as Ceph sends them (``Attributes.entry.N.key/value``, any numbering) and the
push endpoint they make."""

from __future__ import annotations

import pytest

from gateway.iam.errors import IamError
from gateway.sns import attributes_of, push_endpoint


def test_entries_pair_by_index_in_any_order_and_numbering() -> None:
    params = {"Attributes.entry.7.value": "http://127.0.0.1:8080/hook", "Name": "t",
              "Attributes.entry.12.key": "persistent", "Attributes.entry.7.key": "push-endpoint",
              "Attributes.entry.12.value": "true"}
    assert attributes_of(params) == {"push-endpoint": "http://127.0.0.1:8080/hook", "persistent": "true"}
    with pytest.raises(IamError) as info:
        attributes_of({"Attributes.entry.1.value": "orphan"})
    assert info.value.code == "InvalidParameter"


def test_cephs_amqp_exchange_fills_the_url_and_the_topic_is_the_routing_key() -> None:
    url = push_endpoint("thumbs", {"push-endpoint": "amqp://guest:guest@127.0.0.1:5672/", "amqp-exchange": "ex"})
    assert url == "amqp://guest:guest@127.0.0.1:5672/?exchange=ex&routing_key=thumbs"
    given = "amqp://127.0.0.1:5672/?exchange=mine&routing_key=r"
    assert push_endpoint("thumbs", {"push-endpoint": given, "amqp-exchange": "ex"}) == given


@pytest.mark.parametrize("attributes", [
    {}, {"push-endpoint": ""}, {"push-endpoint": "gopher://h"}, {"push-endpoint": "redis://h:6379/0"},
    {"push-endpoint": "http://h/", "DisplayName": "x"}, {"push-endpoint": "amqp://h:5672/"},
])
def test_endpoints_that_cannot_deliver_are_refused(attributes: dict[str, str]) -> None:
    with pytest.raises(IamError) as info:
        push_endpoint("t", attributes)
    assert info.value.code == "InvalidParameter" and info.value.status == 400
