"""Request and response models of the brand and content-generation API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lily.content.normalize import match_key
from lily.core.fields import NOT_BLANK, URL, NotABool

Platform = Literal["x", "facebook", "instagram", "linkedin"]
ObjectId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_\-:.]{1,128}$")]  # a draft, post or connection id
Word = Annotated[str, Field(min_length=1, max_length=60, pattern=NOT_BLANK)]  # a keyword or phrase: not blank
Example = Annotated[str, Field(min_length=1, max_length=3000, pattern=NOT_BLANK)]  # an example post: not blank
Cta = Annotated[str, Field(min_length=1, max_length=200, pattern=NOT_BLANK)]  # a call to action: not blank
Hashtag = Annotated[str, Field(min_length=1, max_length=100, pattern=r"[^\W\d_]")]  # with a letter (hashtags.normalise)
# A list whose entries are unique. JSON Schema's uniqueItems compares exactly; Lily also refuses entries that differ
# only in case or surrounding spaces (the descriptions say so).
UNIQUE = {"uniqueItems": True}
NO_DUPLICATES = " Entries are unique, ignoring case and surrounding spaces."
Tone = Literal["professional", "casual", "educational", "entertaining", "inspirational"]
Structure = Literal["single_post", "thread", "long_post", "carousel"]
Goal = Literal["awareness", "engagement", "traffic", "leads", "sales", "community"]
EmojiPolicy = Literal["none", "sparse", "free"]

PLATFORMS: tuple[str, ...] = ("x", "facebook", "instagram", "linkedin")
TONES: tuple[str, ...] = ("professional", "casual", "educational", "entertaining", "inspirational")
STRUCTURES: tuple[str, ...] = ("single_post", "thread", "long_post", "carousel")
GOALS: tuple[str, ...] = ("awareness", "engagement", "traffic", "leads", "sales", "community")

def _unique(values: list[str], what: str) -> list[str]:
    seen: set[str] = set()
    for v in values:
        key = match_key(v.strip())
        if not key:
            raise ValueError(f"{what}: empty entry")
        if key in seen:
            raise ValueError(f"{what}: duplicate {v!r}")
        seen.add(key)
    return [v.strip() for v in values]


class BrandIn(BaseModel):
    """An organization's brand voice; every generation applies it."""

    model_config = ConfigDict(extra="forbid")

    tone: Tone = "professional"
    industry: str = Field("", max_length=80)
    audience: str = Field("", max_length=160)
    keywords: list[Word] = Field(default_factory=list, max_length=20, json_schema_extra=UNIQUE,
                                 description="Words or phrases to use; none may also be in avoid or banned_words."
                                             + NO_DUPLICATES)
    avoid: list[Word] = Field(default_factory=list, max_length=50, json_schema_extra=UNIQUE,
                              description="Words or phrases to steer clear of." + NO_DUPLICATES)
    banned_words: list[Word] = Field(default_factory=list, max_length=100, json_schema_extra=UNIQUE,
                                    description="A draft containing one is flagged and cannot be saved unapproved."
                                                + NO_DUPLICATES)
    emoji_policy: EmojiPolicy = "sparse"
    default_hashtags: list[Hashtag] = Field(
        default_factory=list, max_length=30, json_schema_extra=UNIQUE,
        description="Hashtags, with or without #, stored as #Word (\"fleet ops\" -> #FleetOps): each must keep a "
                    "letter once spaces and punctuation are dropped, and at most 100 characters. Entries are unique "
                    "once written that way, ignoring case.")
    ctas: dict[Platform, dict[Goal, Cta]] = Field(default_factory=dict,
                                                  description="Preferred call to action per platform and goal")
    example_posts: list[Example] = Field(default_factory=list, max_length=10, json_schema_extra=UNIQUE,
                                         description="Posts in the brand's voice." + NO_DUPLICATES)

    @field_validator("keywords", "avoid", "banned_words")
    @classmethod
    def _words(cls, v: list[str], info) -> list[str]:
        return _unique(v, info.field_name)

    @field_validator("default_hashtags")
    @classmethod
    def _tags(cls, v: list[str]) -> list[str]:
        from lily.content.hashtags import normalise

        out = []
        for tag in v:
            norm = normalise(tag)
            if norm is None:
                raise ValueError(f"default_hashtags: {tag!r} is not a hashtag")
            out.append(norm)
        return _unique(out, "default_hashtags")

    @field_validator("example_posts")
    @classmethod
    def _examples(cls, v: list[str]) -> list[str]:
        return _unique(v, "example_posts")

    @model_validator(mode="after")
    def _no_overlap(self) -> BrandIn:
        clash = {match_key(k) for k in self.keywords} & {match_key(w) for w in self.avoid + self.banned_words}
        if clash:
            raise ValueError(f"a keyword is also avoided or banned: {sorted(clash)[0]!r}")
        return self


class BrandPut(BrandIn):
    expected_version: Annotated[int, Field(ge=0), NotABool] | None = Field(None,
                                        description="Fail with 409 unless the stored version is this")


class BrandOut(BrandIn):
    org_id: str
    version: int = Field(description="0: no profile saved yet (defaults shown)")
    updated_at: datetime | None = None
    updated_by: str | None = None


class GenerateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic: str = Field(min_length=3, max_length=300)
    platforms: list[Platform] = Field(min_length=1, max_length=4, json_schema_extra={"uniqueItems": True})
    tone: Tone | None = Field(None, description="Default: the brand's tone")
    structure: Structure = "single_post"
    goal: Goal = "engagement"
    n: Annotated[int, Field(ge=1, le=5), NotABool] = Field(1, description="Alternatives per platform")
    research_insight_ids: list[Annotated[str, Field(pattern=r"^ins_[0-9a-z]{26}$")]] = Field(
        default_factory=list, max_length=10, description="Research insights to ground the drafts on")
    source_url: str | None = Field(None, max_length=2000, pattern=URL)
    follow_best: bool = Field(False, strict=True, description="Name the org's best-performing templates and tones per "
                                                              "platform (from its analytics) in the prompt and ask to "
                                                              "follow them")

    @field_validator("platforms")
    @classmethod
    def _distinct(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("a platform appears twice")
        return v


class RepurposeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(None, min_length=1, max_length=20000,
                             description="The source text; give exactly one of text or post_id")
    post_id: str | None = Field(None, pattern=r"^[A-Za-z0-9_\-]{1,128}$",
                                description="Or: a saved post; give exactly one of text or post_id")
    platforms: list[Platform] = Field(min_length=1, max_length=4, json_schema_extra={"uniqueItems": True},
                                      description="With mode=thread: exactly [\"x\"]")
    mode: Literal["adapt", "thread"] = Field(
        "adapt", description="adapt: a variant per platform (one AI call); thread: the text itself split into an "
                             "X thread (no AI call; platforms must be [\"x\"])")

    @model_validator(mode="after")
    def _one_source(self) -> RepurposeIn:
        if (self.text is None) == (self.post_id is None):
            raise ValueError("give exactly one of text or post_id")
        if self.mode == "thread" and self.platforms != ["x"]:
            raise ValueError("mode=thread makes an X thread: platforms must be ['x']")
        return self


class RewriteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=20000)
    platform: Platform
    action: Literal["shorten", "lengthen", "change_tone", "fix_to_platform", "rephrase"] = Field(
        description="rephrase: the same post in new words (meaning, facts and links kept)")
    tone: Tone | None = Field(None, description="Required for change_tone")
    avoid: list[Annotated[str, Field(min_length=1, max_length=5000)]] = Field(
        default_factory=list, max_length=5, description="rephrase: earlier versions the new wording must differ "
        "from (the platform refuses identical posts)")

    @model_validator(mode="after")
    def _tone(self) -> RewriteIn:
        if self.action == "change_tone" and self.tone is None:
            raise ValueError("change_tone needs a tone")
        return self


class Reason(BaseModel):
    check: str = Field(description="keywords | banned_words | avoid | length | voice | emoji")
    ok: bool
    points: int
    detail: str


class Score(BaseModel):
    score: int = Field(ge=0, le=100)
    flagged: bool = Field(description="A banned or avoided word is present")
    hits: list[str] = Field(default_factory=list, description="Banned or avoided words found")
    reasons: list[Reason]


class DraftOut(BaseModel):
    draft_id: str
    generation_id: str
    kind: str
    platform: Platform
    alternative: int
    structure: Structure
    tone: Tone
    goal: Goal | None = None
    text: str = Field(description="The post, or a thread's parts joined by blank lines")
    parts: list[str] = Field(description="One post, or the numbered parts of a thread")
    hashtags: list[str] = Field(default_factory=list)
    score: Score
    status: Literal["draft", "flagged", "approved", "saved"]
    schedulable: bool = Field(description="False while flagged (edit or approve it first)")
    template_id: str | None = None
    provider: str | None = None
    model: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    brand_version: int = 0
    post_id: str | None = None
    created_at: datetime
    updated_at: datetime
    version: int


class Blocked(BaseModel):
    platform: str
    alternative: int
    categories: list[str]


class GenerationOut(BaseModel):
    generation_id: str
    drafts: list[DraftOut]
    blocked: list[Blocked] = Field(default_factory=list, description="Outputs moderation blocked (not stored)")
    provider: str | None = None
    model: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    latency_ms: float | None = Field(None, description="The provider call as Lily measured it")
    provider_ms: float | None = Field(None, description="The provider's own processing time")
    brand_version: int = 0


class GenerationJobOut(BaseModel):
    """A generation too large for the synchronous window (202): poll ``GET .../content/jobs/{job_id}``."""

    job_id: str
    status: Literal["queued", "running", "done", "failed"]
    estimated_s: float = Field(description="Provider time the rule estimated for the request")
    result: GenerationOut | None = Field(None, description="When done: the generation, as 201 would answer it")
    error: dict | None = Field(None, description="When failed: Lily's error body's error object")
    created_at: datetime
    finished_at: datetime | None = None


class DraftPage(BaseModel):
    items: list[DraftOut]
    next_cursor: str | None = None


class DraftEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=20000, description="The new text (a thread is split again)")
    expected_version: Annotated[int, Field(ge=1), NotABool] | None = None


class SaveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    draft_ids: list[ObjectId] = Field(min_length=1, max_length=4, description="At most one draft per platform")
    connections: dict[Platform, ObjectId] = Field(description="The connection to publish each platform's draft on")


class SaveOut(BaseModel):
    post_id: str
    draft_ids: list[str]


class TemplateOut(BaseModel):
    template_id: str
    tone: Tone
    structure: Structure
    platform: Platform
    instructions: str
    prompt: str
    placeholders: list[str]
    performance: str | None = Field(None, description="Why it ranks first: the org's template or tone that earned "
                                                      "its best engagement on this platform (None: no history)")


class TemplatePage(BaseModel):
    items: list[TemplateOut]
