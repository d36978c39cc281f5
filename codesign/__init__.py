"""Co-design search: binary SR models x hardware folding, measured (see __main__)."""
