"""portlens: which application protocol a flow really carries, beside what its port claims.

The import package is ``classifier``; the distribution and the command are ``portlens``.
"""

__version__ = "0.1.0"
