"""faxplus-conformance: does this server honour the Fax.Plus `POST /hooks` contract?"""

__version__ = "0.1.0"
