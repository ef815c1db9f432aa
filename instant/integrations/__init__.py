"""Glue between instant's event streams and other frameworks, one optional module each.

Nothing here is imported by ``import instant``; each module needs its framework installed
(``instant.integrations.llama_index``: the ``llama-index`` extra).
"""
