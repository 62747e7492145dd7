"""The payload keys of the test suite: fixed, so recorded encrypted histories replay.

Test-only key material; it protects nothing. The session fixture puts `TEST_KEYS_ENV` in the
environment, so every client, worker, stack and `hitl` process a test starts uses it.
"""

from hitl.codec import CodecKeys, encrypted_data_converter, load_codec_keys

TEST_KEYS_ENV = {
    "HITL_CODEC_KEYS": "test-1=1XrhdrtU+HVsc1v2mjMXO9jHo8/vt6cBLYSsW3OpYSA=",
    "HITL_CODEC_KEY_FILE": "",
    "HITL_CODEC_CURRENT_KEY": "",
}
TEST_KEYS: CodecKeys = load_codec_keys(TEST_KEYS_ENV)
TEST_CONVERTER = encrypted_data_converter(TEST_KEYS)
"""The data converter test clients, workers and replayers use."""
