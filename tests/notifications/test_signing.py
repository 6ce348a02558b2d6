"""Standard Webhooks signing and verification."""

from __future__ import annotations

from apps.notifications.signing import secret_generate, sign, verify

# The reference vector published with the Standard Webhooks libraries.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
BODY = b'{"test": 2432232314}'
EXPECTED = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_sign_matches_the_reference_vector():
    assert sign(SECRET, MSG_ID, TIMESTAMP, BODY) == EXPECTED


def test_verify_accepts_a_fresh_signature_among_several():
    header = f"v1,bm90IGl0 {EXPECTED}"
    assert verify(SECRET, MSG_ID, TIMESTAMP, BODY, header, now=TIMESTAMP + 10)


def test_verify_rejects_tampering_wrong_secret_and_stale_or_future_timestamps():
    now = TIMESTAMP
    assert not verify(SECRET, MSG_ID, TIMESTAMP, BODY + b" ", EXPECTED, now=now)
    assert not verify(secret_generate(), MSG_ID, TIMESTAMP, BODY, EXPECTED, now=now)
    assert not verify(SECRET, "msg_other", TIMESTAMP, BODY, EXPECTED, now=now)
    assert not verify(SECRET, MSG_ID, TIMESTAMP, BODY, EXPECTED, now=now + 301)
    assert not verify(SECRET, MSG_ID, TIMESTAMP, BODY, EXPECTED, now=now - 301)
    assert verify(SECRET, MSG_ID, TIMESTAMP, BODY, EXPECTED, now=now + 299)


def test_verify_rejects_malformed_input():
    assert not verify(SECRET, MSG_ID, "yesterday", BODY, EXPECTED, now=TIMESTAMP)
    assert not verify("whsec_***", MSG_ID, TIMESTAMP, BODY, EXPECTED, now=TIMESTAMP)
    assert not verify(
        SECRET, MSG_ID, TIMESTAMP, BODY, EXPECTED.replace("v1,", "v2,"), now=TIMESTAMP
    )


def test_generated_secrets_are_whsec_and_distinct():
    a, b = secret_generate(), secret_generate()
    assert a.startswith("whsec_") and a != b
