"""The Voices workspace (its page is ``studio.qt.voices.page.VoicesPage``)."""
