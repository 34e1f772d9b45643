"""The live-class API's request and response bodies (validated like the rest of the API)."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.live.codes import ALPHABET, CODE_LENGTH, MAX_QUERY_CHARS, validate_query

MAX_NICKNAME = 24
MAX_ACTIVATION_TEXT = 200
MAX_PROMPT = 300
MAX_MESSAGE = 200
MAX_PARAMS = 16
MAX_LOSS = 1e6
NUMBERS = ("test_accuracy", "dead_fraction", "final_loss")  # what an experiment may collect
DEFAULT_PAUSE_MESSAGE = "Eyes on the teacher's screen: the class is paused."




def _plain_text(value: str | None, what: str) -> str | None:
    if value is not None and any(unicodedata.category(c).startswith("C") for c in value):
        raise ValueError(f"{what} must not contain control or formatting characters")
    return value


_Number = Annotated[float, Field(allow_inf_nan=False)]
_ParamName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,31}$")]


class StateBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    query: str = Field(max_length=MAX_QUERY_CHARS, description="The explorer's URL query without '?', e.g. `fn=leaky_relu(leak=0.1)&view=function`: key=value pairs joined by &, keys of letters, digits and _.")

    @field_validator("query")
    @classmethod
    def _query(cls, v: str) -> str:
        return validate_query(v)


class CreateClassBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    query: str = Field("", max_length=MAX_QUERY_CHARS, description="The view students start from (as in PUT …/state).")

    @field_validator("query")
    @classmethod
    def _query(cls, v: str) -> str:
        return validate_query(v)


class ClassCreated(BaseModel):
    code: str = Field(description=f"{CODE_LENGTH} symbols from {ALPHABET}")
    display_code: str = Field(description="The code as two groups of four, to read aloud or project")
    join_url: str = Field(description="Where students go: /join/CODE")
    qr_url: str = Field(description="An SVG QR code of join_url, drawn by this server")
    teacher_token: str = Field(description="The secret that controls the class: send it as Authorization: Bearer <token>. Shown once; the server keeps only its hash.")
    teacher_url: str = Field(description="The explorer following this class as its teacher (the token rides in the #fragment, which browsers never send to a server)")
    idle_expiry_s: float = Field(description="The class is gone after this many seconds without activity")
    max_students: int


class Experiment(BaseModel):
    prompt: str
    collect: list[Literal[NUMBERS]]  # type: ignore[valid-type]
    param: str | None
    id: int = Field(description="The sequence number of the change that opened it; results name it")
    open: bool


class ClassPublic(BaseModel):
    code: str
    display_code: str
    seq: int = Field(description="The number of the latest change")
    query: str = Field(description="The teacher's current view")
    paused: bool
    message: str = Field(description="The pause message (empty when not paused)")
    experiment: Experiment | None
    students: int = Field(description="Students connected now")
    exploring: int = Field(description="Of those, students exploring on their own (the rest follow the teacher)")
    results: int = Field(description="Results submitted to the current experiment")
    results_revision: int = Field(description="Grows with every result stored, a resubmission that replaces one too: when it changes, read the results again")
    join_url: str = Field(description="Where students go: /join/CODE on the public origin (ACTLAB_PUBLIC_URL, else the bind address; never the request's Host)")


class PauseBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    message: str = Field(DEFAULT_PAUSE_MESSAGE, min_length=1, max_length=MAX_MESSAGE, description="Shown to students while their controls are locked.")

    @field_validator("message")
    @classmethod
    def _message(cls, v: str) -> str:
        return _plain_text(v, "the message")


class ExperimentBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    prompt: str | None = Field(min_length=1, max_length=MAX_PROMPT, description="What each student should do, e.g. “Pick a leak, train, submit”. null closes the current experiment (its results stay readable).")
    collect: list[Literal[NUMBERS]] = Field(default_factory=lambda: list(NUMBERS), min_length=1, max_length=len(NUMBERS), description="The numbers every result must carry.")  # type: ignore[valid-type]
    param: _ParamName | None = Field(None, description="The parameter students choose (e.g. leak): every result must carry it in params; the class plot puts it on the x axis.")

    @field_validator("prompt")
    @classmethod
    def _prompt(cls, v: str | None) -> str | None:
        return _plain_text(v, "the prompt")

    @field_validator("collect")
    @classmethod
    def _collect(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("must name each number once")
        return v


class ResultBody(BaseModel):
    """One student's result: the parameters chosen and the numbers measured. Nothing personal
    is kept: no address, and the nickname is optional."""

    model_config = ConfigDict(extra="forbid", strict=True)

    experiment: int | None = Field(None, ge=1, description="The id of the experiment this answers; a result for an earlier one is refused (409 experiment_changed).")
    student: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]{8,64}$", description="A random id the student's browser made: a second result with the same id replaces the first. Not a name.")
    nickname: str | None = Field(None, min_length=1, max_length=MAX_NICKNAME)
    activation: str = Field("", max_length=MAX_ACTIVATION_TEXT, description="The activation as the explorer writes it, e.g. leaky_relu(leak=0.1).")
    params: dict[_ParamName, _Number] = Field(default_factory=dict, max_length=MAX_PARAMS, description="The parameters chosen (leak, learning_rate, …).")
    # each number: required when the experiment collects it, refused (when not null) when it does not
    test_accuracy: float | None = Field(None, ge=0.0, le=1.0, allow_inf_nan=False)
    dead_fraction: float | None = Field(None, ge=0.0, le=1.0, allow_inf_nan=False)
    final_loss: float | None = Field(None, ge=0.0, le=MAX_LOSS, allow_inf_nan=False)

    @field_validator("nickname")
    @classmethod
    def _nickname(cls, v: str | None) -> str | None:
        return _plain_text(v.strip() if v else v, "a nickname") or None

    @field_validator("activation")
    @classmethod
    def _activation(cls, v: str) -> str:
        return _plain_text(v, "the activation") or ""


class FollowingBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    connection: str = Field(pattern=r"^[0-9a-f]{16}$", description="The `connection` of this student's event stream (its snapshot names it)")
    following: bool = Field(description="true: following the teacher; false: exploring on their own")


class FollowingSet(BaseModel):
    counted: bool = Field(description="Whether the connection is one the class counts (false: it has gone; reconnect)")


class ResultOut(BaseModel):
    """A result as kept: the numbers its experiment collects, no other."""

    nickname: str | None
    activation: str
    params: dict[str, float]
    test_accuracy: float | None = None
    dead_fraction: float | None = None
    final_loss: float | None = None


class ResultAccepted(BaseModel):
    count: int = Field(description="Results submitted to this experiment so far")


class ClassResults(BaseModel):
    experiment: Experiment | None
    count: int
    results: list[ResultOut]


class ChangeAccepted(BaseModel):
    seq: int = Field(description="The change's number; students receive changes in this order")


class ClassEnded(BaseModel):
    code: str
    ended: Literal[True]


class ExperimentSet(ChangeAccepted):
    experiment: Experiment | None


