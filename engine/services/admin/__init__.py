"""The administrators' room: the organisation (town, branches, villages), the members and their
moves, the accounts and their passwords, the member roster from Excel, and the holiday table.

Administrators act; the committee and auditors read. Every change is one unit of work that ends
in a chained event saying what was done, by whom and, for people and accounts, why. Refusals say
what is wrong in Chinese and English (`params["zh"]`), and store nothing.
"""
