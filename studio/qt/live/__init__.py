"""The Live workspace (its page is ``studio.qt.live.page.LivePage``)."""
