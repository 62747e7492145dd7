"""The base model every message, activity and workflow payload derives from."""

from pydantic import BaseModel, ConfigDict


class Contract(BaseModel):
    """A frozen pydantic model: payloads are values, new fields get defaults.

    `extra="ignore"` lets an older worker read a payload written by a newer client that
    added a field, which is how these contracts evolve without breaking running workflows.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")
