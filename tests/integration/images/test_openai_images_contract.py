"""The sandbox's images, moderation and vision endpoints answer the official ``openai`` client as the real APIs do,
for both providers' parameter sets (platform-apis.md §5.1, §5.2, §5.4)."""

from __future__ import annotations

import base64
import io
import json

import openai
import pytest
from PIL import Image

from lily.ai.ports import data_url
from lily.local.secret_values import AI_PROVIDER_KEYS
from tests.integration.images.conftest import configure


@pytest.fixture
def oai(sandbox):
    return openai.OpenAI(api_key=AI_PROVIDER_KEYS["openai_api_key"], base_url=f"{sandbox.base_url}/v1",
                         max_retries=0, _strict_response_validation=True)


@pytest.fixture
def xai(sandbox):
    # not strict: xAI's documented images answer has no ``created``, which the SDK's model of OpenAI's requires
    return openai.OpenAI(api_key=AI_PROVIDER_KEYS["xai_api_key"], base_url=f"{sandbox.base_url}/v1",
                         max_retries=0)


def _image(b64: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(b64)))


def test_gpt_image_answers_base64_png_of_the_requested_size_varying_with_the_prompt(oai):
    prompt = "A lighthouse at dawn\nPalette: #ff6600, #003366\nKey words: harbor"
    a = oai.images.generate(model="gpt-image-1", prompt=prompt, size="1024x1536", quality="low", output_format="png")
    assert a.data[0].url is None and a.size == "1024x1536" and a.usage.total_tokens > 0
    img = _image(a.data[0].b64_json)
    assert img.format == "PNG" and img.size == (1024, 1536)
    top = img.convert("RGB").getpixel((512, 2))
    assert abs(top[0] - 0xff) < 20 and abs(top[2] - 0x00) < 20  # painted in the requested palette
    b = oai.images.generate(model="gpt-image-1", prompt=prompt + "\nVariation: 7", size="1024x1536")
    assert a.data[0].b64_json != b.data[0].b64_json
    jpeg = oai.images.generate(model="gpt-image-1", prompt=prompt, size="1536x1024", output_format="jpeg")
    assert _image(jpeg.data[0].b64_json).format == "JPEG"


def test_gpt_image_refuses_what_it_does_not_take(oai):
    with pytest.raises(openai.BadRequestError) as exc:
        oai.images.generate(model="gpt-image-1", prompt="x", response_format="b64_json")
    assert exc.value.status_code == 400 and exc.value.body == {
        "message": "Unknown parameter: 'response_format'.", "type": "invalid_request_error",
        "param": "response_format", "code": "unknown_parameter"}
    with pytest.raises(openai.BadRequestError) as exc:
        oai.images.generate(model="gpt-image-1", prompt="x", extra_body={"aspect_ratio": "16:9"})
    assert exc.value.body["param"] == "aspect_ratio" and exc.value.body["code"] == "unknown_parameter"
    with pytest.raises(openai.BadRequestError) as exc:
        oai.images.generate(model="gpt-image-1", prompt="x", size="512x512")
    assert exc.value.body["param"] == "size" and exc.value.body["code"] == "invalid_value"
    with pytest.raises(openai.BadRequestError) as exc:
        oai.images.generate(model="gpt-image-1", prompt="x", background="transparent", output_format="jpeg")
    assert exc.value.body["param"] == "background"


def test_xai_takes_aspect_ratio_and_resolution_and_refuses_size(xai, sandbox):
    r = xai.images.generate(model="grok-imagine-image", prompt="A lighthouse", response_format="b64_json",
                            extra_body={"aspect_ratio": "9:16", "resolution": "1k"})
    img = _image(r.data[0].b64_json)
    assert img.format == "JPEG" and img.size == (576, 1024)
    r = xai.images.generate(model="grok-imagine-image-quality", prompt="A lighthouse", response_format="b64_json",
                            extra_body={"aspect_ratio": "16:9", "resolution": "2k"})
    assert _image(r.data[0].b64_json).size == (2048, 1152)
    for bad in ({"size": "1024x1024"}, {"style": "vivid"}, {"negative_prompt": "people"}):
        with pytest.raises(openai.BadRequestError) as exc:
            xai.images.generate(model="grok-imagine-image", prompt="x", extra_body=bad)
        assert exc.value.body["code"] == "unknown_parameter" and exc.value.body["param"] == next(iter(bad))
    configure(sandbox, xai_invalid_values="reject")
    with pytest.raises(openai.BadRequestError) as exc:
        xai.images.generate(model="grok-imagine-image", prompt="x", extra_body={"resolution": "4k"})
    assert exc.value.body["param"] == "resolution"


def test_image_moderation_reads_what_was_drawn_and_names_the_category(oai, sandbox):
    configure(sandbox, image_moderation_terms={"violence": ["lighthouse"]})
    drawn = oai.images.generate(model="gpt-image-1", prompt="A lighthouse at dawn", size="1024x1024")
    url = data_url(base64.b64decode(drawn.data[0].b64_json), "image/png")
    m = oai.moderations.create(model="omni-moderation-latest", input=[{"type": "image_url", "image_url": {"url": url}}])
    result = m.results[0]
    assert result.flagged and result.categories.violence and not result.categories.hate
    assert result.category_applied_input_types.violence == ["image"]
    clean = oai.images.generate(model="gpt-image-1", prompt="A quiet meadow", size="1024x1024")
    url = data_url(base64.b64decode(clean.data[0].b64_json), "image/png")
    assert not oai.moderations.create(input=[{"type": "image_url", "image_url": {"url": url}}]).results[0].flagged
    with pytest.raises(openai.BadRequestError):
        oai.moderations.create(input=[{"type": "image_url", "image_url": {"url": "data:image/png;base64,@@"}}])


def test_vision_scoring_is_structured_output_about_the_image(oai, sandbox):
    configure(sandbox, image_degrade={"kind": "blur", "times": 1})
    blurred = oai.images.generate(model="gpt-image-1", prompt="A lighthouse at dawn\nKey words: harbor")
    sharp = oai.images.generate(model="gpt-image-1", prompt="A lighthouse at dawn\nKey words: harbor")
    schema = {"type": "object", "additionalProperties": False,
              "required": ["alignment", "aesthetic", "shows_avoided", "reasons"],
              "properties": {"alignment": {"type": "number"}, "aesthetic": {"type": "number"},
                             "shows_avoided": {"type": "array", "items": {"type": "string"}},
                             "reasons": {"type": "array", "items": {"type": "string"}}}}

    def rate(b64: str, avoid: str = "nothing") -> dict:
        answer = oai.chat.completions.create(
            model="gpt-4.1-mini", response_format={"type": "json_schema", "json_schema": {
                "name": "review", "schema": schema, "strict": True}},
            messages=[{"role": "system", "content": "Rate the image."},
                      {"role": "user", "content": [
                          {"type": "text", "text": f"Prompt: a lighthouse at dawn\nAvoid: {avoid}"},
                          {"type": "image_url", "image_url": {"url": data_url(base64.b64decode(b64), "image/png"),
                                                              "detail": "low"}}]}])
        return json.loads(answer.choices[0].message.content)

    good, bad = rate(sharp.data[0].b64_json), rate(blurred.data[0].b64_json)
    assert good["alignment"] == 1.0 and good["aesthetic"] > bad["aesthetic"] + 0.3
    assert "the image is blurred" in bad["reasons"] and good["shows_avoided"] == []
    assert rate(sharp.data[0].b64_json, avoid="lighthouse")["shows_avoided"] == ["lighthouse"]
