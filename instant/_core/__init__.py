"""The engine: text in, events out, no I/O. Private: use ``instant.Parser``.

A straight stack, each module importing only the ones to its left::

    scanner  <-  state  <-  bulk  <-  machine  <-  fastloop  <-  parser

``state`` holds everything a parser remembers (and documents the state table), ``scanner``
recognises characters, ``machine`` is every step in general form, ``fastloop`` the hot path
inlined, ``bulk`` parses a container complete in the buffer with the C scanner and replays it,
and ``parser`` is :class:`instant.Parser` itself.
"""
