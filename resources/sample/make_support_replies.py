"""Writes support_replies.jsonl: the instruction-tuning sample (written for sftgui, no outside data).

House style, checkable by eye and by code: every reply starts with "Hi there," and ends with
"— The Support Team", and in between answers in two short sentences: what happened, what to do.
Run `python make_support_replies.py` to regenerate (deterministic).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

OPENING = "Hi there,"
SIGNATURE = "— The Support Team"

# (topic, customer phrasings, what happened, what to do)
CASES = [
    ("refund", ["I want my money back for order {n}.", "How do I get a refund for order {n}?",
                "Order {n} was wrong, can I be refunded?", "Please refund my last order ({n})."],
     "we have found order {n} and it can be refunded", "We will send the money back to your card within 5 working days."),
    ("double charge", ["I was charged twice for order {n}.", "My card shows two payments for order {n}.",
                       "Why did you take my money two times?", "There is a duplicate charge on my statement."],
     "the second payment was a temporary hold by your bank", "It disappears by itself within 3 days; write to us if it stays."),
    ("password", ["I forgot my password.", "How do I reset my password?", "My password does not work any more.",
                  "I can't remember the password for my account."],
     "you can set a new password yourself", "Click \"Forgot password\" on the sign-in page and follow the link we email you."),
    ("locked account", ["My account is locked.", "It says my account is blocked after three tries.",
                        "I am locked out of my account.", "Why can't I sign in? It says locked."],
     "accounts lock for 30 minutes after three wrong passwords", "Wait half an hour, then sign in or reset your password."),
    ("late delivery", ["Where is my parcel? Order {n} is late.", "My package for order {n} has not arrived.",
                       "Order {n} should have come yesterday.", "The tracking for order {n} has not moved in days."],
     "order {n} is delayed at the courier's depot", "It should reach you within 2 days; the tracking link updates each morning."),
    ("wrong address", ["I typed the wrong address for order {n}.", "Can I change the delivery address of order {n}?",
                       "I moved, please send order {n} to my new address.", "The address on order {n} is old."],
     "the address of order {n} can still be changed", "Reply with the new address and we will update it before it ships."),
    ("app crash", ["The app crashes when I open it.", "Your app closes by itself on my phone.",
                   "The app keeps freezing on the home screen.", "Since the update the app will not start."],
     "version 4.2 of the app has a bug on some phones", "Update to version 4.3 from your app store; it fixes the crash."),
    ("invoice", ["I need an invoice for order {n}.", "Can you send me a receipt for order {n}?",
                 "Where do I download the invoice for order {n}?", "My company needs a VAT invoice for order {n}."],
     "the invoice for order {n} is ready", "Open Orders in your account and press \"Download invoice\" next to it."),
    ("cancel order", ["Please cancel order {n}.", "I don't want order {n} any more.",
                      "How can I cancel order {n}?", "I ordered by mistake, cancel order {n}."],
     "order {n} has not shipped yet, so it can be cancelled", "We have cancelled it and the refund follows within 5 working days."),
    ("damaged item", ["Order {n} arrived broken.", "The item in order {n} is damaged.",
                      "The box of order {n} was crushed and the product is cracked.", "Order {n} came scratched."],
     "we are sorry order {n} arrived damaged", "Send us a photo of it and we will ship a replacement at no cost."),
    ("subscription", ["How do I stop my subscription?", "I want to end my monthly plan.",
                      "Cancel my subscription please.", "Can I pause my membership?"],
     "you can end or pause your plan at any time", "Go to Account, then Plan, and choose Cancel or Pause; no fee applies."),
    ("email change", ["How do I change my email address?", "I have a new email, how do I update it?",
                      "Can you change the email on my account?", "My old email is gone, I need to use another one."],
     "the email address can be changed in your profile", "Open Profile, press Edit next to the email and confirm the new one."),
]
TONE = ["", " Thanks!", " Please help.", " This is urgent.", " I am quite annoyed."]


def examples(seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for topic, asks, happened, todo in CASES:
        for ask in asks:
            for tone in rng.sample(TONE, 5)[:5]:
                n = rng.randint(10000, 99999)
                prompt = ask.format(n=n) + tone
                reply = f"{OPENING} {happened.format(n=n)}. {todo.format(n=n)} {SIGNATURE}"
                out.append({"prompt": prompt, "response": reply, "topic": topic})
    rng.shuffle(out)
    return out


if __name__ == "__main__":
    rows = examples()
    path = Path(__file__).with_name("support_replies.jsonl")
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"wrote {len(rows)} examples to {path}")
