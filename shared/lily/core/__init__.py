"""Cross-cutting building blocks: config, errors, observability, DynamoDB base, crypto, ids, clock."""
