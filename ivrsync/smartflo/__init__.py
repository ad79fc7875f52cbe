"""Everything that speaks to Smartflo: credentials, retries, the HTTP client, the read shape.

`client` is the only module in ivrsync that imports httpx; import it only where a request is
made, so that commands which never talk to Smartflo (validate, plan) do not load httpx.
"""
