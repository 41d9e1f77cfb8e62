from assistant.answering.base import Claim
from assistant.answering.verify import supported, verified
from assistant.types import Hit

PASSAGE = "Some 1,500 French soldiers are deployed in Niger. They are on three bases."


def hits():
    return [Hit("a:0", "a", "T", "a", None, None, PASSAGE, 0, len(PASSAGE), 1.0)]


def test_a_verbatim_quote_is_supported():
    assert supported(Claim(PASSAGE[:49], hits()[0], 0, 49, 1.0), hits())


def test_claims_pointing_nowhere_or_unsupported_are_dropped():
    found = hits()[0]
    elsewhere = Hit("b:0", "b", "T", "b", None, None, PASSAGE, 0, len(PASSAGE), 1.0)  # not among the hits
    bad_passage = Claim("Some 1,500 French soldiers", elsewhere, 0, 20, 1.0)
    bad_span = Claim("Some 1,500 French soldiers", found, 40, 400, 1.0)
    unsupported = Claim("Germany sent 9,000 tanks to Peru.", found, 0, 49, 1.0)
    paraphrase = Claim("1,500 French soldiers are in Niger.", found, 0, 49, 1.0)
    assert verified([bad_passage, bad_span, unsupported, paraphrase], hits()) == [paraphrase]
