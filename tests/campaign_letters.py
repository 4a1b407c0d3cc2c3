"""A labelled set of letters to one consultation: form letters sent by many with small edits
(words substituted, a personal sentence inserted, a sentence dropped, another greeting and
signature), among distinct letters on the same subject. Deterministic for a given seed."""

import itertools
import random
from dataclasses import dataclass

SUBJECTS = [
    "the proposed framework",
    "this consultation",
    "the draft regulation",
    "online child protection",
    "the reporting mechanism",
    "national capacity building",
    "multi-stakeholder coordination",
    "the results framework",
    "platform flexibility",
    "access to user metadata",
    "global initiatives",
    "industry self-regulation",
    "the Working Group",
    "law enforcement cooperation",
    "parental controls",
    "education programmes",
]
VERBS = [
    "should strengthen",
    "must not weaken",
    "ought to clarify",
    "would undermine",
    "could support",
    "needs to respect",
    "will shape",
    "cannot replace",
    "should align with",
    "risks duplicating",
    "may improve",
    "has to consider",
    "would benefit",
    "must protect",
]
OBJECTS = [
    "the rights of children online",
    "the work already done by hotlines",
    "the privacy of ordinary users",
    "smaller providers with few resources",
    "schools and teachers in every region",
    "cooperation between governments and companies",
    "the independence of civil society",
    "measurable outcomes for every member state",
    "the diversity of services and platforms",
    "trust in the whole internet",
    "victims and their families",
    "the capacity of developing countries",
    "transparency about takedown requests",
    "existing international agreements",
]
OPENERS = [
    "We believe that",
    "In our view",
    "Our members think that",
    "It is essential that",
    "We are concerned that",
    "Experience shows that",
    "We strongly feel that",
    "It seems clear that",
    "We would stress that",
    "Evidence suggests that",
]
CLOSERS = [
    "without delay",
    "over the next five years",
    "in a proportionate way",
    "with clear safeguards",
    "at national and regional level",
    "through open dialogue",
    "as a matter of priority",
    "in close cooperation with experts",
    "",
]
GREETINGS = [
    "Dear Sir or Madam,",
    "Dear Commissioner,",
    "To whom it may concern,",
    "Dear consultation team,",
    "Hello,",
    "Dear members of the Working Group,",
]
SIGN_OFFS = ["Yours sincerely,", "Kind regards,", "Best wishes,", "With thanks,", "Regards,"]
FIRST_NAMES = ["Anna", "Ben", "Chloé", "Dario", "Eva", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi", "Lars"]
LAST_NAMES = ["Smith", "Okafor", "Müller", "Rossi", "Tanaka", "Dubois", "Novak", "Silva", "Khan", "Berg"]
SUBSTITUTES = [
    "really",
    "certainly",
    "truly",
    "also",
    "urgently",
    "kindly",
    "fully",
    "carefully",
    "genuinely",
    "deeply",
    "the",
    "our",
    "their",
    "important",
    "serious",
]


@dataclass(frozen=True)
class Letter:
    text: str
    campaign: int | None  # the form letter it was made from; None for a letter of its own


def _sentence(rng: random.Random) -> str:
    closer = rng.choice(CLOSERS)
    return f"{rng.choice(OPENERS)} {rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}" + (
        f" {closer}." if closer else "."
    )


def _body(rng: random.Random, sentences: int) -> list[str]:
    return [_sentence(rng) for _ in range(sentences)]


def _signature(rng: random.Random) -> str:
    return f"{rng.choice(SIGN_OFFS)}\n{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _edited(rng: random.Random, base: list[str]) -> str:
    """The form letter with the small edits people make before sending it."""
    sentences = list(base)
    if rng.random() < 0.3:
        del sentences[rng.randrange(len(sentences))]
    for _ in range(rng.choice([0, 0, 1, 1, 2])):
        sentences.insert(rng.randrange(len(sentences) + 1), _sentence(rng))
    words = " ".join(sentences).split(" ")
    for _ in range(rng.randint(0, 6)):
        index = rng.randrange(len(words))
        if rng.random() < 0.5:
            words[index] = rng.choice(SUBSTITUTES)
        else:
            words.insert(index, rng.choice(SUBSTITUTES))
    return f"{rng.choice(GREETINGS)}\n\n{' '.join(words)}\n\n{_signature(rng)}"


def labelled_letters(
    *, seed: int = 7, campaign_sizes: tuple[int, ...] = (45, 30, 25, 15, 8, 4, 2), distinct: int = 90
) -> list[Letter]:
    """Form letters of the given campaign sizes, with small edits each, and `distinct` letters of their
    own, all on the same subject and shuffled."""
    rng = random.Random(seed)  # noqa: S311 (test data, not secrets)
    letters = []
    for campaign, size in enumerate(campaign_sizes):
        base = _body(rng, rng.randint(9, 14))
        letters += [Letter(_edited(rng, base), campaign) for _ in range(size)]
    for _ in range(distinct):
        body = " ".join(_body(rng, rng.randint(6, 14)))
        letters.append(Letter(f"{rng.choice(GREETINGS)}\n\n{body}\n\n{_signature(rng)}", None))
    rng.shuffle(letters)
    return letters


def pairwise_precision_recall(truth: list[int | None], predicted: list[int | None]) -> tuple[float, float]:
    """Over all pairs of letters: precision of "grouped together" predicted against the truth, and recall.
    A letter of its own (None) is in a group of one."""
    true_positive = false_positive = false_negative = 0
    for i, j in itertools.combinations(range(len(truth)), 2):
        same_truth = truth[i] is not None and truth[i] == truth[j]
        same_predicted = predicted[i] is not None and predicted[i] == predicted[j]
        if same_predicted and same_truth:
            true_positive += 1
        elif same_predicted:
            false_positive += 1
        elif same_truth:
            false_negative += 1
    precision = true_positive / (true_positive + false_positive) if true_positive + false_positive else 1.0
    recall = true_positive / (true_positive + false_negative) if true_positive + false_negative else 1.0
    return precision, recall
