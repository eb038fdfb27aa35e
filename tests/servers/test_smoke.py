"""One real round trip per server: the harness gives tests servers that work."""

from __future__ import annotations

import asyncio

import aio_pika
import psycopg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from pymongo import AsyncMongoClient

from tests.servers.kafka import Topics, take
from tests.servers.mongodb import MongoDatabase
from tests.servers.moto import Names
from tests.servers.postgres import Database
from tests.servers.rabbitmq import Vhost


async def test_rabbitmq_publish_and_consume(rabbitmq_vhost: Vhost) -> None:
    async with await aio_pika.connect(rabbitmq_vhost.url) as conn:
        channel = await conn.channel()
        queue = await channel.declare_queue("smoke")
        message = aio_pika.Message(b"hello", message_id="m-1")
        await channel.default_exchange.publish(message, routing_key="smoke")
        async with asyncio.timeout(10), queue.iterator() as messages:
            async for received in messages:
                async with received.process():
                    assert (received.body, received.message_id) == (b"hello", "m-1")
                break


async def test_postgres_round_trip(postgres_database: Database) -> None:
    async with await psycopg.AsyncConnection.connect(postgres_database.url) as conn:
        await conn.execute("CREATE TABLE smoke (id int PRIMARY KEY, body text)")
        await conn.execute("INSERT INTO smoke VALUES (1, 'hello')")
        cursor = await conn.execute("SELECT body FROM smoke WHERE id = 1")
        assert await cursor.fetchone() == ("hello",)


def test_moto_s3_and_sqs(moto_names: Names, request: pytest.FixtureRequest) -> None:
    assert request.node.get_closest_marker("moto") is not None
    s3 = moto_names.client("s3")
    bucket = moto_names.name("bucket")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="a/b.json", Body=b'{"x": 1}')
    assert s3.get_object(Bucket=bucket, Key="a/b.json")["Body"].read() == b'{"x": 1}'

    sqs = moto_names.client("sqs")
    queue_url = sqs.create_queue(QueueName=moto_names.name("queue"))["QueueUrl"]
    sqs.send_message(QueueUrl=queue_url, MessageBody="hello")
    received = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=5)["Messages"]
    assert [m["Body"] for m in received] == ["hello"]


async def test_tansu_consumer_group_round_trip(tansu_topics: Topics) -> None:
    [topic] = await tansu_topics.create("events")
    await tansu_topics.produce(topic, b"one", b"two")
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=tansu_topics.bootstrap,
        group_id=tansu_topics.name("group"),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        assert await take(consumer, 2) == [b"one", b"two"]
        await consumer.commit()
        partition = TopicPartition(topic, 0)
        assert await consumer.committed(partition) == 2
    finally:
        await consumer.stop()


async def test_noida_offsets_round_trip(noida_topics: Topics) -> None:
    [topic] = await noida_topics.create("events")
    await noida_topics.produce(topic, b"one", b"two", b"three")
    consumer = AIOKafkaConsumer(bootstrap_servers=noida_topics.bootstrap)
    await consumer.start()
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        consumer.seek(partition, 1)
        assert await take(consumer, 2) == [b"two", b"three"]
        assert (await consumer.end_offsets([partition]))[partition] == 3
    finally:
        await consumer.stop()


async def test_mongodb_insert_and_change_stream(mongodb_database: MongoDatabase) -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongodb_database.url)
    try:
        collection = client[mongodb_database.name]["smoke"]
        async with await collection.watch() as stream:
            await collection.insert_one({"_id": 1, "body": "hello"})
            async with asyncio.timeout(15):
                change = await stream.next()
        assert change["operationType"] == "insert"
        assert change["fullDocument"] == {"_id": 1, "body": "hello"}
    finally:
        await client.close()
