"""A LiteLLM callback for the integration tests: appends, per finished call, what LiteLLM's own
spend tracking recorded (the end user it attributed, the usage and the cost) as one JSON line to
$LITELLM_SPEND_PROBE_FILE. Loaded by test-config.yaml (`litellm_settings.callbacks`); does nothing
when the variable is unset. Reads only the StandardLoggingPayload LiteLLM builds for its loggers.
"""
import json
import os

from litellm.integrations.custom_logger import CustomLogger


class SpendProbe(CustomLogger):
    def _write(self, kwargs, status):
        path = os.environ.get("LITELLM_SPEND_PROBE_FILE")
        if not path:
            return
        payload = kwargs.get("standard_logging_object") or {}
        metadata = payload.get("metadata") or {}
        usage = metadata.get("usage_object") or {}
        record = {
            "status": status,
            "call_id": payload.get("litellm_call_id") or kwargs.get("litellm_call_id"),
            "model_group": payload.get("model_group"),
            "stream": payload.get("stream"),
            "end_user": payload.get("end_user"),
            "metadata_end_user": metadata.get("user_api_key_end_user_id"),
            "prompt_tokens": payload.get("prompt_tokens"),
            "completion_tokens": payload.get("completion_tokens"),
            "total_tokens": payload.get("total_tokens"),
            "cached_tokens": ((usage.get("prompt_tokens_details") or {}).get("cached_tokens")),
            "response_cost": payload.get("response_cost"),
        }
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")

    async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
        self._write(kwargs, "success")

    async def async_log_failure_event(self, kwargs, response_obj, start_time, end_time):
        self._write(kwargs, "failure")


proxy_handler_instance = SpendProbe()
