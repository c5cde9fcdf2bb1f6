"""Course completions under each course's rule, and the certificates issued for them."""
