"""Teams and their contests (团队PK): who is in which team, contests with prizes fixed in advance,
live standings, and the frozen result whose prizes are booked once in the ledger.

A team is not the invite chain: a sharer's inviter stays their inviter whichever team they join.
"""
