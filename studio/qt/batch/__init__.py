"""The Batch workspace (its page is ``studio.qt.batch.page.BatchPage``)."""
