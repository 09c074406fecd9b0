"""The sessions library of the Live workspace, and the offer to recover an interrupted session at start-up.

- ``view.SessionsView`` — the list of recorded sessions beside the one being read (shown by the Live page's
  "Recorded sessions" tab, Ctrl+L).
- ``list_pane.SessionList`` (searchable, ``model`` + ``delegate``) and ``reader.SessionReader`` (the shared
  transcript view in document mode with the session's audio: click to seek, the playing word lit, rename
  speakers, export, transcribe the recording as a batch job, delete).
- ``client.LibraryClient`` — every read and write of the session folders in a worker thread.
- ``recovery`` — at start-up (after the window shows), interrupted sessions are offered: Recover, Discard,
  Later. It imports only ``studio.storage`` until the user chooses.

Everything on disk is ``studio.storage.sessions_library`` (the contract: /work/team/LIBRARY_API.md).
"""
