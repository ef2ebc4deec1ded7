"""Channel credentials per workspace, stored encrypted, never answered back."""
