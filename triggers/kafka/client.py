"""aiokafka client options from the config: the security settings shared by the source and the
destination, so that credentials are read in one place (and never logged)."""

from __future__ import annotations

from typing import Any

from triggers.kafka.config import KafkaTriggerConfig


def security_options(
    protocol: str,
    mechanism: str | None,
    username: str | None,
    password: str | None,
    cafile: str | None,
) -> dict[str, Any]:
    options: dict[str, Any] = {"security_protocol": protocol}
    if mechanism is not None:
        options.update(
            sasl_mechanism=mechanism, sasl_plain_username=username, sasl_plain_password=password
        )
    if protocol.endswith("SSL"):
        from aiokafka.helpers import create_ssl_context

        options["ssl_context"] = create_ssl_context(cafile=cafile)
    return options


def consumer_options(config: KafkaTriggerConfig, trigger: str) -> dict[str, Any]:
    password = config.sasl_plain_password
    return {
        "bootstrap_servers": config.bootstrap_servers,
        "client_id": f"triggerhub-{trigger}",
        "group_id": config.group_id,
        "group_instance_id": config.group_instance_id,
        "enable_auto_commit": False,
        # A timestamp start seeks in the rebalance listener; latest is its fallback.
        "auto_offset_reset": "earliest" if config.start == "earliest" else "latest",
        "max_partition_fetch_bytes": max(1024 * 1024, config.max_payload_bytes + 64 * 1024),
        "fetch_max_bytes": max(50 * 1024 * 1024, config.max_payload_bytes + 64 * 1024),
        **security_options(
            config.security_protocol,
            config.sasl_mechanism,
            config.sasl_plain_username,
            password.get_secret_value() if password is not None else None,
            config.ssl_cafile,
        ),
    }
