"""People who sign in to the pages: staff accounts (email + password) and sellers' sign-in passes."""
