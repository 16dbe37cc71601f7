"""Drafting a wave's codebook from its delivered files: `python -m dagster_project.codebook draft --wave W`.

A new wave from whatever survey tool arrives with its own variable names, codes and wordings. The
draft reads the wave's `.sav` files, matches each variable to the items the codebook already knows
(by wording, then by answer labels, with position only to break ties), maps answer codes by label,
grades each item's comparability with the previous wave, proposes identifying, free-text and tool
variables for exclusion, and writes what it is sure of into the codebook seeds beside a review table
for the person who commits them (docs/new_wave.md).
"""
