"""A bare AMQP 0-9-1 publisher over pamqp frames, for messages with no message_id.

aiormq (under aio-pika) stamps a random message_id on every message it publishes; publishers in
other languages often set none, and that case needs testing against the real broker."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from urllib.parse import unquote, urlsplit

from pamqp import commands, frame
from pamqp.body import ContentBody
from pamqp.header import ContentHeader, ProtocolHeader

Outgoing = tuple[str, bytes, commands.Basic.Properties]


class _Wire:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer, self.buffer = reader, writer, b""

    def send(self, value: object, channel: int = 0) -> None:
        self.writer.write(frame.marshal(value, channel))  # type: ignore[arg-type]

    async def expect(self, kind: type) -> object:
        while True:
            try:
                used, _channel, value = frame.unmarshal(self.buffer)
            except Exception:  # an incomplete frame: read more
                chunk = await self.reader.read(65536)
                if not chunk:
                    raise ConnectionError("broker closed the connection") from None
                self.buffer += chunk
                continue
            self.buffer = self.buffer[used:]
            if isinstance(value, kind):
                return value
            if isinstance(value, commands.Connection.Close | commands.Channel.Close):
                raise ConnectionError(f"broker refused: {value.reply_text}")


async def publish_raw(url: str, exchange: str, messages: Sequence[Outgoing]) -> None:
    """Publish with publisher confirms, waiting for the broker's ack of each message."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 5672)
    wire = _Wire(reader, writer)
    try:
        writer.write(ProtocolHeader().marshal())
        await wire.expect(commands.Connection.Start)
        login = f"\0{unquote(parts.username or 'guest')}\0{unquote(parts.password or 'guest')}"
        wire.send(commands.Connection.StartOk(response=login))
        tune = await wire.expect(commands.Connection.Tune)
        assert isinstance(tune, commands.Connection.Tune)
        wire.send(commands.Connection.TuneOk(tune.channel_max, tune.frame_max, 0))
        wire.send(commands.Connection.Open(virtual_host=unquote(parts.path[1:]) or "/"))
        await wire.expect(commands.Connection.OpenOk)
        wire.send(commands.Channel.Open(), 1)
        await wire.expect(commands.Channel.OpenOk)
        wire.send(commands.Confirm.Select(), 1)
        await wire.expect(commands.Confirm.SelectOk)
        for routing_key, body, properties in messages:
            wire.send(commands.Basic.Publish(exchange=exchange, routing_key=routing_key), 1)
            wire.send(ContentHeader(0, len(body), properties), 1)
            step = tune.frame_max - 8  # a body frame's payload after its header and end octet
            for start in range(0, len(body), step):
                wire.send(ContentBody(body[start : start + step]), 1)
            await wire.expect(commands.Basic.Ack)
        wire.send(commands.Connection.Close(200, "bye", 0, 0))
        await wire.expect(commands.Connection.CloseOk)
    finally:
        writer.close()
        await writer.wait_closed()
