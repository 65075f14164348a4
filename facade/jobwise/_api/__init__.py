"""The one boundary to the generated code: each API's module is the only importer of
``jobwise_api.api``. Request builders, response parsers, final statuses and page sizes."""
