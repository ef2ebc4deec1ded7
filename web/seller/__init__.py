"""The seller portal (phone first): today's posts, links, earnings, team board.

Every page shows the signed-in seller's own data only: queries filter on
``g.sharer`` (and its workspace); an id of anyone else's is a 404.
"""
