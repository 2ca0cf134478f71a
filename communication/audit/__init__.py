"""The audit trail: who read, exported or erased whose logs, and who logged in; append-only, and kept a year."""
