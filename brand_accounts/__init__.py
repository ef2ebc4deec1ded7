"""The brand's own social accounts: connected once (OAuth), tokens sealed, refreshed before expiry."""
