"""The Batch results viewer (imported when the first result opens: it brings QtMultimedia).

``results.ResultsViewer`` puts together the shared transcript view, ``player.MediaPane`` (QtMultimedia audio
and video) and ``insights.InsightsPanel`` (summary, sentiment, topics, chapters)."""
