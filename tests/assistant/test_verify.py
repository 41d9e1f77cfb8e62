from assistant.generate import Claim
from assistant.types import Hit
from assistant.verify import supported, verified

PASSAGE = "Some 1,500 French soldiers are deployed in Niger. They are on three bases."


def hits():
    return [Hit("a:0", "a", "T", "a", None, None, PASSAGE, 0, len(PASSAGE), 1.0)]


def test_a_verbatim_quote_is_supported():
    assert supported(Claim(PASSAGE[:49], 0, 0, 49, 1.0), hits())


def test_claims_pointing_nowhere_or_unsupported_are_dropped():
    bad_index = Claim("Some 1,500 French soldiers", 3, 0, 20, 1.0)
    bad_span = Claim("Some 1,500 French soldiers", 0, 40, 400, 1.0)
    unsupported = Claim("Germany sent 9,000 tanks to Peru.", 0, 0, 49, 1.0)
    paraphrase = Claim("1,500 French soldiers are in Niger.", 0, 0, 49, 1.0)
    assert verified([bad_index, bad_span, unsupported, paraphrase], hits()) == [paraphrase]
