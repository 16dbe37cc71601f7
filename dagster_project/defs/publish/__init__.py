"""Publishing: the serving and analyst copies, swapped in atomically, and the publication log."""
