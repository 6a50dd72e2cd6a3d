"""The pipelined Redis pub/sub channel layer: concurrent publishes share round trips."""

import asyncio
import uuid

import pytest
from django.conf import settings
from redis.exceptions import ConnectionError as RedisConnectionError

from core.channel_layers import PipelinedPubSubChannelLayer


@pytest.mark.services
async def test_concurrent_group_sends_share_round_trips_and_arrive_in_order():
    layer = PipelinedPubSubChannelLayer(hosts=[settings.REDIS_URL], prefix=f"test-{uuid.uuid4().hex}")
    channel = await layer.new_channel()
    await layer.group_add("readings", channel)
    await layer.group_send("readings", {"type": "m", "n": -1})
    assert (await asyncio.wait_for(layer.receive(channel), 5))["n"] == -1
    shard = layer._get_layer()._shards[0]
    round_trips = []
    real_pipeline = shard._redis.pipeline

    def counted_pipeline(*args, **kwargs):
        round_trips.append(1)
        return real_pipeline(*args, **kwargs)

    shard._redis.pipeline = counted_pipeline
    await asyncio.gather(*(layer.group_send("readings", {"type": "m", "n": n}) for n in range(200)))
    received = [(await asyncio.wait_for(layer.receive(channel), 5))["n"] for _ in range(200)]
    assert received == list(range(200))
    assert 1 <= len(round_trips) < 20, "200 concurrent publishes, a handful of pipelines"
    await layer.flush()


async def test_when_redis_is_unreachable_every_publisher_in_the_pipeline_gets_the_error():
    layer = PipelinedPubSubChannelLayer(hosts=["redis://127.0.0.1:1/0"], prefix="unreachable")
    results = await asyncio.gather(*(layer.group_send("readings", {"type": "m", "n": n}) for n in range(5)),
                                   return_exceptions=True)
    assert all(isinstance(result, RedisConnectionError) for result in results), results
    await layer.flush()
