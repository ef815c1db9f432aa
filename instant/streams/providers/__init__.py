"""One module per provider family: how its stream chunks are read (see :mod:`..chunks`).

Each reader takes the stream's :class:`~._base.ReaderState` (its tool calls, the unknown
event types already warned about) and one chunk, and returns the chunk's pieces. None of
them imports an SDK: chunks are read by shape, attribute or key, whichever they offer.
"""
