from assistant.condense import condense, is_follow_up


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
