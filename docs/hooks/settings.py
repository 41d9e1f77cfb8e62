"""Fills the settings page from the settings model, so the reference cannot fall behind it."""

MARKER = "<!-- settings reference -->"


def on_page_markdown(markdown, page, config, files):
    if MARKER not in markdown:
        return markdown
    from assistant.settings_reference import markdown as reference

    return markdown.replace(MARKER, reference())
