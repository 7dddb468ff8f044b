"""Rapid reviews and Child Safeguarding Practice Reviews: the statutory clock chain."""
