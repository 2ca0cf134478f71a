"""The logs API, `GET /admin/communication/logs`, its CSV export, the token endpoint and the OpenAPI schema."""
