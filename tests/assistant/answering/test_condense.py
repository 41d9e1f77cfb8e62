from assistant.answering.condense import condense, condense_by_model, is_follow_up


def test_standalone_questions_pass_through():
    assert condense("How many French soldiers are in Niger?", [("Where is Niamey?", "...")]) == \
        "How many French soldiers are in Niger?"
    assert condense("  And how many are there? ", None) == "And how many are there?"


def test_follow_up_takes_the_topic_of_the_previous_question():
    history = [("Where are the French military bases in Niger?", "In Niamey, Ouallam and Ayorou [1].")]
    assert condense("And how many are there?", history) == \
        "And how many are there (French military bases Niger)?"


def test_chained_follow_ups_keep_the_original_topic():
    history = [("Who is the French ambassador in Niger?", "Sylvain Itte [1]."),
               ("What about his conduct?", "...")]
    query = condense("Why?", history)
    assert "ambassador" in query and "Niger" in query and "conduct" in query


def test_follow_up_detection():
    assert is_follow_up("What about the debt?")
    assert is_follow_up("How many are there?")
    assert not is_follow_up("How much debt does Niger owe to France and other lenders?")


class Rewriter:
    """Writes a fixed rewrite as a model streams it; records the prompts it was given."""

    name = "rewriter"

    def __init__(self, reply: str):
        self.reply, self.prompts = reply, []

    def write(self, prompt: str, max_tokens: int = 200):
        self.prompts.append(prompt)
        yield from (self.reply[i:i + 5] for i in range(0, len(self.reply), 5))


HISTORY = [("Where are the French bases in Niger?", "In Niamey, Ouallam and Ayorou [1].")]


def test_a_models_rewrite_of_a_follow_up_is_the_query():
    model = Rewriter("How many French soldiers are at the bases in Niger?\nThat is all.")
    assert condense_by_model(model, "And how many soldiers are there?", HISTORY) == \
        "How many French soldiers are at the bases in Niger?"
    assert "user: Where are the French bases in Niger?" in model.prompts[0]


def test_an_unusable_rewrite_leaves_the_rules_and_a_standalone_question_is_not_rewritten():
    question = "And how many soldiers are there?"
    for reply in ("", "Sure!", "x" * 400):
        assert condense_by_model(Rewriter(reply), question, HISTORY) == condense(question, HISTORY), reply
    model = Rewriter("Something else entirely?")
    assert condense_by_model(model, "Who is the French ambassador to Niger?", HISTORY) == \
        "Who is the French ambassador to Niger?"
    assert model.prompts == []
