"""The catalogue: campaigns (and the products they promote), below publishing and referrals."""
