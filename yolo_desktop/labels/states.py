"""A photo's label state, named once (the store keeps them; the window shows and filters by them). Nothing heavy
is imported here: the window names states before it has opened any labels."""

UNLABELLED, LABELLED, REVIEWED, PROBLEM = "unlabelled", "labelled", "reviewed", "problem"
STATES = (UNLABELLED, LABELLED, REVIEWED, PROBLEM)
