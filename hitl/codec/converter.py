"""The data converter every client and worker of this project uses.

Pydantic for values, the AES-GCM codec for bytes, and failures whose message and stack trace
travel encrypted too (a failure message can quote customer data). Build it once per process
from the configured keys; a test builds it from its own keys.
"""

import dataclasses

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes

from hitl.codec.aesgcm import AesGcmCodec
from hitl.codec.keys import CodecKeys, load_codec_keys


def encrypted_data_converter(keys: CodecKeys | None = None) -> DataConverter:
    """The pydantic data converter with payloads and failures encrypted under `keys`
    (default: the keys the environment configures).

    Raises:
        ConfigError: `keys` is None and the environment configures no valid key.
    """
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=AesGcmCodec(keys if keys is not None else load_codec_keys()),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )
