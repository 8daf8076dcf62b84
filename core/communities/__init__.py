"""Communities of practice: spaces, a prompt and tip library, questions that become resources,
cohorts and challenges, recognition, outcome analytics and the weekly digest.

All user text is stored exactly as written. Whatever renders it as HTML or in an Adaptive Card
must escape it (Jinja2 autoescape, `html.escape`, or card `TextBlock`s without markdown links
built from user input); the JSON API returns it as data.
"""
