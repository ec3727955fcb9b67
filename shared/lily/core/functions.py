"""The one declaration per function.

Each ``functions/<name>/wiring.py`` defines ``FUNCTION = FunctionSpec(...)``: its trigger (HTTP
route prefixes, a queue or a schedule), memory, timeout and what it may touch. The CDK app and
the local runner both read these declarations through :func:`discover`, so local and cloud
cannot drift. Adding a function is adding a folder with ``handler.py`` and ``wiring.py``.

A wiring names the table models it uses (``tables={Post: "readwrite"}``, imported from the capability's
``models``): the deployment's tables are the ones its functions name (:func:`declared_models`), and the
imports are plain ones that the import-linter contracts see.
"""

from __future__ import annotations

import importlib.util
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from lily.core.db import LilyModel
from lily.core.schema import Schema

Mode = Literal["read", "write", "readwrite"]

_NAME = r"^[a-z][a-z0-9_]{1,30}$"


class Http(Schema):
    """HTTP API routes. Each prefix becomes ``ANY <prefix>`` and ``ANY <prefix>/{proxy+}``.

    Prefixes may hold path variables (``/api/orgs/{org_id}/billing``); the most specific prefix
    wins, as in API Gateway.
    """

    kind: Literal["http"] = "http"
    prefixes: list[str] = Field(min_length=1)
    public: bool = Field(False, description="True when some routes need no credentials (still checked in-app)")

    @field_validator("prefixes")
    @classmethod
    def _valid(cls, v: list[str]) -> list[str]:
        for p in v:
            if not re.fullmatch(r"(/[a-z0-9_\-]+|/\{[a-z_]+\})+", p):
                raise ValueError(f"bad route prefix {p!r}")
        return v


class Queue(Schema):
    """An SQS queue consumed by this function, with its DLQ."""

    kind: Literal["queue"] = "queue"
    queue: str = Field(pattern=_NAME)
    batch_size: int = Field(10, ge=1, le=10)
    max_receive_count: int = Field(3, ge=1, le=20)
    max_batching_window_s: int = Field(0, ge=0, le=300)


class Schedule(Schema):
    """An EventBridge schedule: ``rate(...)`` or a six-field ``cron(...)`` in UTC."""

    kind: Literal["schedule"] = "schedule"
    expression: str

    @field_validator("expression")
    @classmethod
    def _valid(cls, v: str) -> str:
        if not re.fullmatch(r"rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(\S+( \S+){5}\)", v):
            raise ValueError(f"bad schedule expression {v!r}")
        return v


class Access(Schema):
    """What a function may touch; the CDK app grants exactly this and nothing more."""

    tables: dict[type[LilyModel], Mode] = Field(default_factory=dict, description="Table models and the access")
    queues_send: list[str] = Field(default_factory=list)
    queues_probe: list[str] = Field(default_factory=list, description="Read queue attributes only (health)")
    dlqs_drain: list[str] = Field(default_factory=list, description="Receive and delete from these queues' DLQs")
    dlqs_probe: list[str] = Field(default_factory=list, description="Read these queues' DLQ attributes only (depth)")
    buckets: dict[str, Mode] = Field(default_factory=dict)
    kms: Literal["none", "encrypt", "decrypt", "both"] = "none"
    kms_describe: bool = Field(False, description="kms:DescribeKey on the data key (health)")
    secrets: list[str] = Field(default_factory=list, description="Secrets Manager short names")
    secrets_write: list[str] = Field(default_factory=list, description="Put new versions of these secrets and move "
                                                                       "their stage labels (rotation), not read them")
    ses_send: bool = False
    vectors: bool = Field(False, description="Read and write the research vector index (OpenSearch k-NN in the cloud)")

    @property
    def table_modes(self) -> dict[str, Mode]:
        """The tables by short name (what IAM grants and the local runner provisions)."""
        return {model.Meta.short_name: mode for model, mode in self.tables.items()}


class FunctionSpec(Schema):
    name: str = Field(pattern=_NAME)
    description: str
    trigger: Http | Queue | Schedule = Field(discriminator="kind")
    memory_mb: int = Field(512, ge=128, le=10240)
    timeout_s: int = Field(15, ge=1, le=900)
    reserved_concurrency: int | None = Field(
        None, ge=1, description="Executions reserved for this function and its cap (queue consumers: also how "
                                "many batches run at once); None: its trigger kind's default in the CDK app's "
                                "stage config, which a stage may override")
    access: Access = Field(default_factory=Access)
    environment: dict[str, str] = Field(default_factory=dict, description="Extra non-secret settings")
    handler: str = "handler.handler"
    primes: tuple[str, ...] = Field(
        (), description="Libraries beyond its kind's stack that the handler imports at init on purpose (main path: "
                        "with SnapStart they are in the snapshot, not in a first request), as module names "
                        "(``openai``, ``PIL.Image``). The cold-start bench holds the function to its kind's stack "
                        "row plus these (docs/CONVENTIONS.md, Cold start).")
    folder: Path | None = None

    @model_validator(mode="after")
    def _http_timeout(self) -> FunctionSpec:
        if isinstance(self.trigger, Http) and self.timeout_s > 29:
            raise ValueError(f"{self.name}: HTTP API integrations time out at 29 s")
        return self

    @property
    def visibility_timeout_s(self) -> int:
        """Queue visibility timeout: six times the function timeout (Powertools guidance)."""
        return min(self.timeout_s * 6, 43200)


ROOT = Path(__file__).resolve().parents[3]
FUNCTIONS_DIR = ROOT / "functions"


def _load_wiring(folder: Path) -> FunctionSpec:
    spec = importlib.util.spec_from_file_location(f"lily_wiring_{folder.name}", folder / "wiring.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fn: FunctionSpec = module.FUNCTION
    if fn.name != folder.name:
        raise ValueError(f"functions/{folder.name}/wiring.py declares name {fn.name!r}")
    return fn.model_copy(update={"folder": folder})


@lru_cache(maxsize=1)
def discover() -> tuple[FunctionSpec, ...]:
    """Every declared function, sorted by name, with the cross-checks the platform needs."""
    specs = tuple(
        _load_wiring(d) for d in sorted(FUNCTIONS_DIR.iterdir()) if (d / "wiring.py").is_file()
    )
    consumed = [s.trigger.queue for s in specs if isinstance(s.trigger, Queue)]
    dupes = {q for q in consumed if consumed.count(q) > 1}
    if dupes:
        raise ValueError(f"queues consumed by more than one function: {sorted(dupes)}")
    for s in specs:
        for q in [*s.access.queues_send, *s.access.queues_probe, *s.access.dlqs_drain, *s.access.dlqs_probe]:
            if q not in consumed:
                raise ValueError(f"{s.name} uses queue {q!r} which no function consumes")
    prefixes = [p for s in specs if isinstance(s.trigger, Http) for p in s.trigger.prefixes]
    if len(prefixes) != len(set(prefixes)):
        raise ValueError("an HTTP route prefix is declared twice")
    return specs


def declared_models() -> list[type[LilyModel]]:
    """Every table model some function names in its wiring, by short name: the deployment's tables."""
    models = {model.Meta.short_name: model for spec in discover() for model in spec.access.tables}
    return [models[short] for short in sorted(models)]


def queues() -> list[tuple[str, FunctionSpec]]:
    """(queue short name, consumer) for every declared queue."""
    return [(s.trigger.queue, s) for s in discover() if isinstance(s.trigger, Queue)]


def load_handler_module(spec: FunctionSpec):
    """Import ``functions/<name>/handler.py`` (local runner and tests; Lambda imports it itself)."""
    assert spec.folder is not None
    mod_spec = importlib.util.spec_from_file_location(f"lily_fn_{spec.name}", spec.folder / "handler.py")
    assert mod_spec and mod_spec.loader
    module = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(module)
    return module
