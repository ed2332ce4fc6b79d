"""mikke (みっけ): Japanese full-text search for Jekyll blogs.

The one installed name. The core library lives in the repository's `search/` folder and installs as
`mikke.search`; the Flask front end lives in `web/` and installs as `mikke.web`.
"""
