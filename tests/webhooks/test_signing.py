"""Standard Webhooks signatures: the spec's example vector, verification, rejection."""

from __future__ import annotations

import pytest

from b2cportal.webhooks import signing

# The example in the Standard Webhooks specification ("Verifying webhooks" / the reference
# libraries' test vector).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = '{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def _headers(signature: str = SPEC_SIGNATURE, timestamp: int = SPEC_TIMESTAMP) -> dict:
    return {
        "webhook-id": SPEC_ID,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
    }


def test_signature_matches_the_spec_example():
    assert (
        signing.sign(secret=SPEC_SECRET, msg_id=SPEC_ID, timestamp=SPEC_TIMESTAMP, body=SPEC_BODY)
        == SPEC_SIGNATURE
    )


def test_the_spec_example_verifies_and_a_rotated_list_is_accepted():
    signing.verify(secret=SPEC_SECRET, headers=_headers(), body=SPEC_BODY, now=SPEC_TIMESTAMP)
    several = f"v1,bm90LXRoaXMtb25l {SPEC_SIGNATURE}"
    signing.verify(
        secret=SPEC_SECRET, headers=_headers(several), body=SPEC_BODY, now=SPEC_TIMESTAMP + 60
    )


@pytest.mark.parametrize(
    ("headers", "body", "now"),
    [
        (_headers(), '{"test": 2432232315}', SPEC_TIMESTAMP),  # body changed
        (_headers("v1,Ceci n'est pas une signature"), SPEC_BODY, SPEC_TIMESTAMP),
        (_headers("v2," + SPEC_SIGNATURE[3:]), SPEC_BODY, SPEC_TIMESTAMP),  # unknown version
        (_headers(), SPEC_BODY, SPEC_TIMESTAMP + 301),  # too old
        (_headers(), SPEC_BODY, SPEC_TIMESTAMP - 301),  # from the future
        ({"webhook-id": SPEC_ID}, SPEC_BODY, SPEC_TIMESTAMP),  # headers missing
    ],
    ids=["tampered", "garbage", "version", "old", "future", "missing"],
)
def test_bad_signatures_are_refused(headers, body, now):
    with pytest.raises(signing.SignatureError):
        signing.verify(secret=SPEC_SECRET, headers=headers, body=body, now=now)


def test_new_secrets_are_random_and_usable():
    first, second = signing.new_secret(), signing.new_secret()
    assert first != second
    assert first.startswith("whsec_")
    value = signing.sign(secret=first, msg_id="msg_1", timestamp=1, body="{}")
    signing.verify(
        secret=first,
        headers={"webhook-id": "msg_1", "webhook-timestamp": "1", "webhook-signature": value},
        body="{}",
        now=1,
    )
