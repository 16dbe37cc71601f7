"""Statistics: significance tests between waves and between kindcentra and the rest."""
