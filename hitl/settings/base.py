"""The base of every settings model: environment names, loading, and errors that name the variable.

A settings model built in code (`AgentWorkerSettings(policy_dir=...)`) holds exactly the values
given and the defaults; only `from_env()` reads the environment. A value that does not validate
becomes one `ConfigError` naming the variable, never a traceback, and never echoing a secret.
"""

from collections.abc import Mapping
from typing import Any, Self, get_args

from pydantic import AliasChoices, SecretStr, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)
from pydantic_settings.sources.utils import parse_env_vars

from hitl.errors import ConfigError

ENV_PREFIX = "HITL_"

DOC_DEFAULT = "doc_default"
"""`json_schema_extra` key: how docs/configuration.md shows a default that is computed."""


class HitlSettings(BaseSettings):
    """Base of the settings models: `HITL_<FIELD>` variables, empty values count as unset."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_ignore_empty=True,
        frozen=True,
        use_attribute_docstrings=True,
        validate_by_name=True,
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Values given in code only; `from_env()` adds the environment."""
        return (init_settings,)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        """Read the settings from the process environment (or from `environ`, read the same way).

        Raises:
            ConfigError: A variable holds a value the model refuses; the message names it.
        """
        source = EnvSettingsSource(cls) if environ is None else _MappingSource(cls, environ)
        try:
            return cls(**source())
        except SettingsError as err:
            raise ConfigError(str(err)) from None
        except ValidationError as err:
            raise ConfigError(describe(cls, err)) from None


class _MappingSource(EnvSettingsSource):
    """Environment variables from a mapping instead of `os.environ` (tests, a child's environment)."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(
            self._environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
        )


def env_names(name: str, field: FieldInfo) -> list[str]:
    """The environment variables a field is read from, in order of preference."""
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return [str(choice) for choice in alias.choices]
    if isinstance(alias, str):
        return [alias]
    return [f"{ENV_PREFIX}{name.upper()}"]


def describe(model: type[HitlSettings], err: ValidationError) -> str:
    """Every refused value on one line, each naming its variable; secret values are never shown."""
    return "; ".join(
        _describe_one(model, e) for e in err.errors() if e["type"] != "default_factory_not_called"
    )


def _describe_one(model: type[HitlSettings], error: ErrorDetails) -> str:
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    ours = error["type"] == "value_error"  # our validators word their own message
    reason = str(ctx["error"]) if ours else error["msg"]
    if not error["loc"]:
        return reason  # a check across fields
    key = str(error["loc"][0])  # a field name, or the variable when the field has an alias
    for name, field in model.model_fields.items():
        names = env_names(name, field)
        if key == name or key.upper() in names:
            secret = field.annotation is SecretStr or SecretStr in get_args(field.annotation)
            value = "" if secret or ours else f" (got {error['input']!r})"
            return f"{' or '.join(names)}: {reason}{value}"
    return f"{key}: {reason}"
