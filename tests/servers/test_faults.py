"""Fault control: each server comes back after kill_and_start / restart, with its data
where it keeps any. The blocking restarts run in a thread so the loop stays free."""

from __future__ import annotations

import asyncio

import aio_pika
import psycopg
from aiokafka import AIOKafkaConsumer, TopicPartition
from pymongo import AsyncMongoClient

from tests.servers.kafka import Noida, Topics, take
from tests.servers.mongodb import MongoDatabase
from tests.servers.moto import Names
from tests.servers.postgres import Database
from tests.servers.rabbitmq import Vhost


async def test_rabbitmq_durable_queue_survives_kill(rabbitmq_vhost: Vhost) -> None:
    async with await aio_pika.connect(rabbitmq_vhost.url) as conn:
        channel = await conn.channel()  # publisher confirms: published means stored
        await channel.declare_queue("durable", durable=True)
        message = aio_pika.Message(b"kept", delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
        await channel.default_exchange.publish(message, routing_key="durable")

    await asyncio.to_thread(rabbitmq_vhost.server.kill_and_start)

    async with await aio_pika.connect(rabbitmq_vhost.url) as conn:
        channel = await conn.channel()
        queue = await channel.declare_queue("durable", durable=True)
        received = await queue.get(timeout=10)
        await received.ack()
        assert received.body == b"kept"


async def test_postgres_commit_survives_kill(postgres_database: Database) -> None:
    async with await psycopg.AsyncConnection.connect(postgres_database.url) as conn:
        await conn.execute("CREATE TABLE kept (id int)")
        await conn.execute("INSERT INTO kept VALUES (42)")

    await asyncio.to_thread(postgres_database.server.kill_and_start)

    async with await psycopg.AsyncConnection.connect(postgres_database.url) as conn:
        cursor = await conn.execute("SELECT id FROM kept")
        assert await cursor.fetchall() == [(42,)]


def test_moto_answers_after_kill_and_forgets(moto_names: Names) -> None:
    s3 = moto_names.client("s3")
    s3.create_bucket(Bucket=moto_names.name("gone"))
    moto_names.server.kill_and_start()
    # moto keeps state in memory only: a fresh server has no buckets.
    assert moto_names.client("s3").list_buckets()["Buckets"] == []


async def test_tansu_answers_after_restart(tansu_topics: Topics) -> None:
    await asyncio.to_thread(tansu_topics.broker.restart)
    [topic] = await tansu_topics.create("after-restart")
    await tansu_topics.produce(topic, b"again")
    consumer = AIOKafkaConsumer(bootstrap_servers=tansu_topics.bootstrap)
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, 0)])
        consumer.seek(TopicPartition(topic, 0), 0)
        assert await take(consumer, 1) == [b"again"]
    finally:
        await consumer.stop()


async def test_noida_records_survive_kill(noida_topics: Topics) -> None:
    assert isinstance(noida_topics.broker, Noida)
    [topic] = await noida_topics.create("kept")
    await noida_topics.produce(topic, b"one", b"two")
    # noida-db snapshots to disk about once a second: a kill before that loses them.
    await asyncio.to_thread(noida_topics.broker.wait_persisted, topic, 2)

    await asyncio.to_thread(noida_topics.broker.kill_and_start)

    consumer = AIOKafkaConsumer(bootstrap_servers=noida_topics.bootstrap)
    await consumer.start()
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        consumer.seek(partition, 0)
        assert await take(consumer, 2) == [b"one", b"two"]
    finally:
        await consumer.stop()


async def test_mongodb_document_survives_kill(mongodb_database: MongoDatabase) -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongodb_database.url)
    try:
        await client[mongodb_database.name]["kept"].insert_one({"_id": 7})
    finally:
        await client.close()

    await asyncio.to_thread(mongodb_database.server.kill_and_start)

    client = AsyncMongoClient(mongodb_database.url)
    try:
        assert await client[mongodb_database.name]["kept"].find_one({"_id": 7}) == {"_id": 7}
    finally:
        await client.close()
