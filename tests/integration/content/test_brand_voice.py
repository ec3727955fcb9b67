"""Brand consistency measured independently of the generator (issue 25): the voice check embeds drafts and the
brand's example posts with the local MiniLM model (through the AI sandbox's embeddings, which the sandbox's
writer does not use), so a draft written in another brand's voice scores lower than one in the brand's own."""

from __future__ import annotations

from lily.ai.openai_client import OpenAIAdapter
from lily.ai.ports import CallContext
from lily.ai.settings import ai_settings
from lily.content import voice
from lily.content.schemas import BrandIn
from lily.content.scoring import score

CTX = CallContext(org_id="org_01jdvoice00000000000000001", feature="test")


def adapter() -> OpenAIAdapter:
    """The real client; a timeout long enough for the local model's first load (the suite's is 1.5 s)."""
    return OpenAIAdapter(ai_settings().model_copy(update={"timeout_s": 60.0}), sleep=lambda s: None)
BAKERY = BrandIn(tone="casual", example_posts=[
    "Our rye starter turned nine today and it still outworks the whole bakery team.",
    "Fresh sourdough out of the oven at 6am, the crust crackling as it cools on the rack.",
    "Come early on Saturday: the cinnamon buns sell out before the coffee is even brewed.",
    "We knead every loaf by hand, slowly, because good bread cannot be rushed.",
])
LAW_FIRM = BrandIn(tone="professional", example_posts=[
    "Our litigation team secured a favourable ruling for the client in the appellate court this week.",
    "New data-protection regulations take effect in March; review your compliance obligations now.",
    "Contract disputes are costly. A clear indemnification clause prevents most of them.",
])
BAKERY_DRAFT = "Warm sourdough loaves and flaky croissants are waiting on the counter this morning, come grab one."
LAW_DRAFT = "Our attorneys advise clients on regulatory compliance and represent them in commercial litigation."


def test_a_draft_in_another_brands_voice_scores_lower(lily_env, sandbox):
    own, other = voice.similarities(adapter(), CTX, [BAKERY_DRAFT, LAW_DRAFT],
                                    BAKERY.example_posts)
    assert own > other
    mine, theirs = score(BAKERY_DRAFT, "facebook", BAKERY, voice=own), score(LAW_DRAFT, "facebook", BAKERY, voice=other)
    assert mine.score > theirs.score
    mine_voice, their_voice = (next(r for r in s.reasons if r.check == "voice") for s in (mine, theirs))
    assert mine_voice.points > their_voice.points and "example posts" in mine_voice.detail
    # and the other way round: in the law firm's space, the law draft is the closer one
    bakery, law = voice.similarities(adapter(), CTX, [BAKERY_DRAFT, LAW_DRAFT],
                                     LAW_FIRM.example_posts)
    assert law > bakery


def test_without_example_posts_no_embedding_is_asked_for(lily_env, sandbox):
    before = [q for q in sandbox.state.requests if q["path"] == "/v1/embeddings"]
    assert voice.similarities(adapter(), CTX, [BAKERY_DRAFT], []) == [None]
    assert [q for q in sandbox.state.requests if q["path"] == "/v1/embeddings"] == before
