"""Generate `support_tickets.csv`: customer messages to route to the right team.

Written for this project (no third-party text; same licence as sftgui). Run
`python resources/sample/make_sample.py` to rewrite the CSV (fixed seed, so the file is the same
every time). Each message is built from a template of its team, slots filled from small word
lists, an optional opening and closing, and light noise (case, typos, punctuation).

It is meant to be learnable but not solved, like real support mail, so a first version scores
roughly 80-92% and Compare, the confusion matrix and the review lists have something to show:
- five teams, two pairs of them genuinely close: billing vs account (subscriptions, logins that
  depend on a payment) and shipping vs returns (parcels going either way);
- "borderline" messages that touch both teams of a pair, routed to either one (as a busy support
  desk would), so no model can get all of them right;
- a few rows given a wrong team on purpose (a person's slip), for the review lists to find;
- and, for the quality report: repeated messages, two empty rows and one message with two labels.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

SEED = 20240611
PER_CLASS = 125          # clear messages per team (technical, with no close pair, a few more)
EXTRA = {"technical": 15}
BORDERLINE_PER_PAIR = 40  # messages that touch both teams of a close pair
MISLABELLED = 24          # rows given a neighbouring team by mistake
OUT = Path(__file__).resolve().parent / "support_tickets.csv"

SLOTS = {
    "amount": ["$12.99", "$49", "€30", "$120.50", "£15", "$7.99", "$299", "€89.90", "$64"],
    "month": ["January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December", "last month", "this month"],
    "plan": ["Pro plan", "family plan", "annual subscription", "monthly plan", "Premium tier",
             "business plan", "starter plan"],
    "card": ["credit card", "debit card", "Visa", "Mastercard", "PayPal account", "bank account"],
    "device": ["iPhone", "Android phone", "Windows laptop", "MacBook", "iPad", "Chromebook",
               "Samsung tablet", "desktop PC"],
    "feature": ["export button", "search bar", "sync", "dark mode", "notifications", "upload page",
                "dashboard", "photo editor", "calendar view", "settings screen"],
    "error": ["error 500", "a blank white screen", "'unexpected error'", "code E42",
              "a spinning wheel forever", "'connection reset'", "error 0x80070005"],
    "version": ["3.2.1", "the latest version", "version 4.0", "the beta", "2.9", "the new update"],
    "item": ["blender", "running shoes", "phone case", "desk lamp", "coffee maker", "backpack",
             "headphones", "winter jacket", "yoga mat", "book set", "monitor stand"],
    "days": ["three days", "a week", "ten days", "two weeks", "five days", "over a month"],
    "carrier": ["UPS", "FedEx", "DHL", "the postal service", "the courier", "USPS"],
    "place": ["my neighbour's house", "the wrong address", "the lobby", "an empty porch",
              "the pickup point"],
    "email": ["my work email", "my old gmail", "a new email address", "my school email"],
    "n": ["3", "5", "two", "several", "10", "four"],
    "reason": ["it is the wrong size", "it does not work", "I changed my mind", "it is not as described",
               "it arrived too late", "I ordered two by mistake"],
}

TEMPLATES = {
    "billing": [
        "I was charged {amount} twice for my {plan} in {month}.",
        "Why is there a charge of {amount} on my {card}? I never ordered anything.",
        "Please refund the {amount} you took for the {plan}, I cancelled it already.",
        "My invoice for {month} shows {amount} but the price on your website is lower.",
        "Can I get a receipt for the {amount} payment I made in {month}?",
        "The payment keeps failing with my {card} when I try to renew the {plan}.",
        "I want to switch from the {plan} to something cheaper, how does the billing work?",
        "You billed me {amount} after I ended my free trial, I want that money back.",
        "How do I update the {card} you charge every month?",
        "I see a pending charge of {amount} and a second one for the same order, please fix it.",
        "Is VAT included in the {amount} I was billed for the {plan}?",
        "I was promised a discount on the {plan} but paid the full {amount}.",
        "The refund of {amount} you confirmed in {month} never reached my {card}.",
        "Please cancel automatic renewal, I do not want to be charged for the {plan} again.",
    ],
    "technical": [
        "The app crashes every time I open the {feature} on my {device}.",
        "After installing {version} I get {error} when I log in from my {device}.",
        "The {feature} is extremely slow since {version}, it takes a minute to load.",
        "I tap the {feature} and nothing happens, the screen just freezes on my {device}.",
        "Sync between my {device} and the website stopped working after {version}.",
        "The {feature} shows {error} whenever I try to save.",
        "Your app drains my {device} battery and gets hot when the {feature} is open.",
        "Files I upload never appear, the {feature} just shows {error}.",
        "Since {version} the {feature} is missing from the menu on my {device}.",
        "I reinstalled the app on my {device} twice and the {feature} still crashes.",
        "Notifications stopped arriving on my {device} after {version}.",
        "The page loads forever with {error}, I cleared the cache already.",
        "Is there a bug with the {feature}? It resets my settings every time I restart.",
        "The {feature} is cut off on my {device} screen and I cannot press the buttons.",
    ],
    "shipping": [
        "My {item} was supposed to arrive {days} ago and the tracking has not moved.",
        "{carrier} says my {item} was delivered but I never received it.",
        "The package with my {item} was left at {place}.",
        "Where is my order? I ordered a {item} {days} ago and still nothing.",
        "The tracking number for my {item} does not work on the {carrier} website.",
        "My {item} arrived damaged, the box was crushed by {carrier}.",
        "Can I change the delivery address for my {item}? It has not shipped yet.",
        "I received someone else's parcel instead of my {item}.",
        "Delivery of my {item} has been delayed {n} times now.",
        "Only part of my order came, the {item} is missing from the box.",
        "Do you ship to Canada? I want to send a {item} to my sister.",
        "How long does express shipping take for a {item}?",
        "The courier tried to deliver my {item} while I was home and left a note anyway.",
    ],
    "account": [
        "I forgot my password and the reset email never arrives at {email}.",
        "My account is locked after {n} failed login attempts, please unlock it.",
        "How do I change the email on my account to {email}?",
        "Someone logged into my account from another country, I think I was hacked.",
        "Please delete my account and all my personal data.",
        "I cannot sign in with two-factor authentication since I changed my phone.",
        "I have two accounts, one on {email}, can you merge them?",
        "The verification code for my profile never comes through.",
        "How can I change my username and profile picture?",
        "My account was suspended and I do not know why.",
        "I want to add my partner as a second user on my profile.",
        "The reset password link says it has expired, I tried {n} times.",
        "Can I download a copy of all the data in my account?",
        "I no longer have access to {email}, how do I recover my login?",
    ],
    "returns": [
        "I want to return the {item}, {reason}.",
        "How do I send back my {item}? {reason}.",
        "I sent the {item} back {days} ago and still have no refund.",
        "Can I exchange the {item} for a different size?",
        "The return label for my {item} does not print.",
        "Is the return shipping free? I need to send back a {item}.",
        "I dropped the {item} off with {carrier} for the return, when will you process it?",
        "The {item} I returned was marked as not received by your warehouse.",
        "Can I return a {item} I bought {days} ago? {reason}.",
        "I would like to swap my {item} for another colour, how does the exchange work?",
        "Your return portal says my {item} is not eligible for a return.",
        "I got a {item} as a gift and want to exchange it.",
        "Please send me a prepaid label so I can return the {item}.",
    ],
}

# Messages that belong to both teams of a close pair: a real desk routes them either way.
BORDERLINE = {
    ("billing", "account"): [
        "I paid {amount} for the {plan} but my account still says free version.",
        "My {card} expired and now I cannot log in to my {plan}.",
        "I was charged {amount} on an account I closed in {month}.",
        "Why does my profile show the {plan} when I was billed for a different one?",
        "I changed my email to {email} and now I get invoices for two accounts.",
        "My account was suspended after the payment with my {card} failed.",
        "Please remove my {card} from my profile and close the {plan}.",
        "I cannot see my invoices since I changed my login to {email}.",
    ],
    ("shipping", "returns"): [
        "The {item} came damaged, do I get a new one sent or do I have to return it?",
        "{carrier} brought my {item} back to your warehouse, please sort it out.",
        "I received the wrong {item}, how do I get the right one?",
        "My {item} arrived {days} late and I do not need it any more.",
        "The box with my {item} was crushed and the {item} is broken.",
        "I refused the parcel with my {item} at the door, what happens now?",
        "The replacement {item} you sent has not arrived and I already sent the old one back.",
        "Half of my order is missing and the {item} that came is the wrong one.",
    ],
}

# The team a person might pick by mistake for each team.
NEIGHBOUR = {"billing": "account", "account": "billing", "shipping": "returns",
             "returns": "shipping", "technical": "account"}

OPENINGS = ["", "", "", "Hi, ", "Hello, ", "Hi there. ", "Good morning, ", "Hey, ", "Urgent: ",
            "Dear support, ", "Quick question: "]
CLOSINGS = ["", "", "", " Thanks.", " Thank you!", " Please help.", " Any update?",
            " This is really frustrating.", " Regards, Sam", " Cheers", " Thanks in advance."]


def _fill(template: str, rng: random.Random) -> str:
    return template.format(**{k: rng.choice(v) for k, v in SLOTS.items()})


def _message(template: str, rng: random.Random) -> str:
    body = _fill(template, rng)
    opening = rng.choice(OPENINGS)
    if opening.endswith(", "):  # "Hi, where is ..." reads like a person typed it
        body = body[0].lower() + body[1:]
    return _noise(opening + body + rng.choice(CLOSINGS), rng)


def _noise(text: str, rng: random.Random) -> str:
    """Imperfections real people type: lower case, no final punctuation, a swapped letter pair."""
    r = rng.random()
    if r < 0.12:
        text = text.lower()
    elif r < 0.18:
        text = text.rstrip(".!?")
    if rng.random() < 0.08:
        words = text.split()
        i = rng.randrange(len(words))
        w = words[i]
        if len(w) > 4:
            j = rng.randrange(1, len(w) - 2)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
        text = " ".join(words)
    return text


def make_rows(seed: int = SEED) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()

    def add(templates, labels, count):
        added = 0
        while added < count:
            text = _message(rng.choice(templates), rng)
            if text not in seen:
                seen.add(text)
                rows.append((text, rng.choice(labels)))
                added += 1

    for label, templates in TEMPLATES.items():
        add(templates, [label], PER_CLASS + EXTRA.get(label, 0))
    for pair, templates in BORDERLINE.items():
        add(templates, list(pair), BORDERLINE_PER_PAIR)
    rng.shuffle(rows)
    # A person's slips: a few rows carry the neighbouring team.
    for i in rng.sample(range(len(rows)), MISLABELLED):
        rows[i] = (rows[i][0], NEIGHBOUR[rows[i][1]])
    # Imperfections for the quality report: five repeated messages, two empty texts, one conflict.
    for i in range(5):
        rows.insert(rng.randrange(len(rows)), rows[i * 7])
    rows.insert(rng.randrange(len(rows)), ("", "billing"))
    rows.insert(rng.randrange(len(rows)), ("   ", "technical"))
    conflict = next(r for r in rows if r[1] == "billing" and r[0])
    rows.insert(rng.randrange(len(rows)), (conflict[0], "account"))
    return rows


def main() -> None:
    rows = make_rows()
    with open(OUT, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        w.writerows(rows)
    print(f"wrote {len(rows)} rows to {OUT}")


if __name__ == "__main__":
    main()
