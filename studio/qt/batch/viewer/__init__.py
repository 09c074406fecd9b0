"""The Batch results viewer (imported when the first result opens: it brings QtMultimedia).

``results.ResultsViewer`` puts together the shared transcript view, ``studio.qt.media`` (the QtMultimedia
player, shared with the sessions library) and ``insights.InsightsPanel`` (summary, sentiment, topics,
chapters)."""
