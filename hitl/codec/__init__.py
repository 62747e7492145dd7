"""Payload encryption: keys by id, the AES-GCM codec, the data converter, the codec server app.

Every client and worker gets its data converter from `encrypted_data_converter()` (through
`hitl.client.connect`); the codec server (`workers.codec_server`) lets the Web UI and the
`temporal` CLI show and send decoded payloads. See docs/security.md.
"""

from hitl.codec.converter import encrypted_data_converter
from hitl.codec.keys import CodecKeys, load_codec_keys

__all__ = ["CodecKeys", "encrypted_data_converter", "load_codec_keys"]
