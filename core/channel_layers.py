"""The Redis pub/sub channel layer, with publishes that share round trips.

channels_redis' pub/sub layer publishes under one asyncio lock per Redis shard, one
PUBLISH and one round trip at a time: every device socket in a process waits its turn to
broadcast, so a process tops out at one frame per Redis round trip (a few hundred a
second on a busy machine, while its event loop sat a third idle). Here publishes are
group-committed (core/group_commit.py): the first one goes out at once; those arriving
while it is in flight go out together in one pipeline after it. Order is kept
(pipelines go one after another, commands in arrival order), and each caller still
returns only once Redis has taken its message.
"""

import asyncio

from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer, RedisSingleShardConnection
from channels_redis.utils import _wrap_close, decode_hosts

from core.group_commit import GroupPublisher


class PipelinedShardConnection(RedisSingleShardConnection):
    def __init__(self, host, channel_layer):
        super().__init__(host, channel_layer)
        self._group = GroupPublisher(self._publish_pipelined)

    async def publish(self, channel, message):
        await self._group.submit_async((channel, message))

    async def _publish_pipelined(self, messages: list[tuple[str, bytes]]) -> None:
        async with self._lock:
            self._ensure_redis()
            pipeline = self._redis.pipeline(transaction=False)
            for channel, message in messages:
                pipeline.publish(channel, message)
            await pipeline.execute()


class PipelinedPubSubLoopLayer(RedisPubSubLoopLayer):
    def __init__(self, hosts=None, *args, **kwargs):
        super().__init__(hosts, *args, **kwargs)
        self._shards = [PipelinedShardConnection(host, self) for host in decode_hosts(hosts)]


class PipelinedPubSubChannelLayer(RedisPubSubChannelLayer):
    def _get_layer(self):
        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:
            layer = self._layers[loop] = PipelinedPubSubLoopLayer(*self._args, **self._kwargs, channel_layer=self)
            _wrap_close(self, loop)
        return layer
